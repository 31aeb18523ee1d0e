package settings

import (
	"regexp"
	"strings"
)

// roleName is IAM's rule: 1 to 64 letters, digits and +=,.@_- characters.
var roleName = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

// validateAccess checks ConsumerRoleNames; report names the setting, the
// value and the rule, as Validate's other checks do.
func (c StageConfig) validateAccess(report func(key string, value any, rule string)) {
	attachments := map[string]string{}
	for _, role := range c.ConsumerRoleNames {
		id := ConsumerID(role)
		switch other, taken := attachments[strings.ToLower(id)]; {
		case !roleName.MatchString(role):
			report("consumerRoleNames", role, "must be the name of an IAM role (not its ARN): 1 to 64 letters, digits or +=,.@_- characters")
		case taken && strings.EqualFold(other, role):
			report("consumerRoleNames", role, "is listed twice (IAM role names are case-insensitive)")
		case taken:
			report("consumerRoleNames", role, "differs from "+other+" only in punctuation, and both would get the attachment "+id+"; attach the policy to one of them by hand (output access_policy_arn)")
		}
		attachments[strings.ToLower(id)] = role
	}
}

// nonIdentifier is what a construct ID made of a name leaves out.
var nonIdentifier = regexp.MustCompile(`[^A-Za-z0-9_]`)

// ConsumerID is the construct ID of a role's policy attachment, named after
// the role, so that adding or removing one consumer never renames the
// attachments of the others.
func ConsumerID(role string) string {
	return "consumer_" + nonIdentifier.ReplaceAllString(role, "_")
}
