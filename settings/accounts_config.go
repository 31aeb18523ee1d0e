package settings

import (
	"fmt"
	"regexp"
)

var (
	accountID = regexp.MustCompile(`^\d{12}$`)
	// arn:<partition>:iam::<account>:role/<optional path/><name>
	roleARN = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,64}$`)
	// arn:<partition>:kms:<region>:<account>:key/<id>
	kmsKeyAccount = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):key/`)
)

// validateAccounts checks where the stage goes: its region, the role its
// provider assumes and the account it is held to, and that a KMS key ARN
// belongs to that account.
func (c StageConfig) validateAccounts(report func(key string, value any, rule string)) {
	if !regionName.MatchString(c.Region) {
		report("region", c.Region, "must be an AWS region code such as us-east-1 or eu-central-1")
	}
	if c.AccountID != "" && !accountID.MatchString(c.AccountID) {
		report("accountId", c.AccountID, "must be a 12-digit AWS account ID")
	}
	if c.AssumeRoleARN != "" {
		m := roleARN.FindStringSubmatch(c.AssumeRoleARN)
		switch {
		case m == nil:
			report("assumeRoleArn", c.AssumeRoleARN, "must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>")
		case c.AccountID != "" && m[2] != c.AccountID:
			report("assumeRoleArn", c.AssumeRoleARN, fmt.Sprintf("is a role of account %s, but the stage's accountId is %s", m[2], c.AccountID))
		}
	}
	if m := kmsKeyAccount.FindStringSubmatch(c.KMSKey); m != nil && c.AccountID != "" && m[1] != c.AccountID {
		report("kmsKey", c.KMSKey, fmt.Sprintf("is a key of account %s, but the stage's accountId is %s", m[1], c.AccountID))
	}
}

// validateStateRole checks the account-level role of the state bucket.
func validateStateRole(arn string) string {
	if arn != "" && !roleARN.MatchString(arn) {
		return "must be empty or an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>"
	}
	return ""
}
