package stacks

import (
	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iampolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicyattachment"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// dataAPIActions are what a caller of the Data API needs on the cluster:
// statements and transactions, nothing that changes the cluster itself.
var dataAPIActions = []string{
	"rds-data:ExecuteStatement",
	"rds-data:BatchExecuteStatement",
	"rds-data:BeginTransaction",
	"rds-data:CommitTransaction",
	"rds-data:RollbackTransaction",
}

// databaseAccess is what the access policy grants on.
type databaseAccess struct {
	// parameters are the ARNs of every SSM parameter the stage publishes.
	parameters []*string
	cluster    *string
	secret     *string
	// key is the stage's own KMS key, or nil for the AWS-managed keys,
	// which grant use through the service to the account's principals.
	key *string
}

// newAccessPolicy creates the stage's least-privilege policy for the
// database's consumers, the way a function reaches it: read the stage's
// parameters, call the Data API on the cluster with the secret. Every
// statement names its resources; no wildcard actions. It is attached to
// the roles named in ConsumerRoleNames, and its ARN is an output for the
// others.
func newAccessPolicy(stack cdktf.TerraformStack, cfg settings.StageConfig, access databaseAccess) iampolicy.IamPolicy {
	statements := []*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
		{
			Sid:       jsii.String("ReadTheStageParameters"),
			Actions:   jsii.Strings("ssm:GetParameter", "ssm:GetParameters"),
			Resources: &access.parameters,
		},
		{
			Sid:       jsii.String("QueryThroughTheDataAPI"),
			Actions:   jsii.Strings(dataAPIActions...),
			Resources: &[]*string{access.cluster},
		},
		{
			Sid:       jsii.String("ReadTheCredentials"),
			Actions:   jsii.Strings("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"),
			Resources: &[]*string{access.secret},
		},
	}
	if access.key != nil {
		statements = append(statements, &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			Sid:       jsii.String("DecryptTheCredentialsThroughSecretsManager"),
			Actions:   jsii.Strings("kms:Decrypt"),
			Resources: &[]*string{access.key},
			Condition: &[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{{
				Test:     jsii.String("StringEquals"),
				Variable: jsii.String("kms:ViaService"),
				Values:   jsii.Strings("secretsmanager." + cfg.Region + ".amazonaws.com"),
			}},
		})
	}
	document := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(stack, jsii.String("access_policy"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: &statements,
	})
	policy := iampolicy.NewIamPolicy(stack, jsii.String("access"), &iampolicy.IamPolicyConfig{
		Name:        jsii.String(cfg.AccessPolicyName()),
		Description: jsii.String("Query the " + cfg.Account.Service + " " + cfg.Stage + " database through the Data API: its parameters, the cluster, the credentials"),
		Policy:      document.Json(),
		Tags:        &map[string]*string{"Name": jsii.String(cfg.AccessPolicyName())},
	})
	for _, role := range cfg.ConsumerRoleNames {
		iamrolepolicyattachment.NewIamRolePolicyAttachment(stack, consumerID(role), &iamrolepolicyattachment.IamRolePolicyAttachmentConfig{
			Role:      jsii.String(role),
			PolicyArn: policy.Arn(),
		})
	}
	return policy
}

// consumerID is settings.ConsumerID, as a construct ID.
func consumerID(role string) *string {
	return jsii.String(settings.ConsumerID(role))
}
