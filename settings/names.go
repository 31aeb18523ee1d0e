package settings

import (
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Names of the AWS resources a stage owns. Each follows the seed recipe's
// naming, so existing tooling that looks them up keeps working.

// Prefix is what every name of the stage starts with, "<service>-<stage>".
func (c StageConfig) Prefix() string {
	return c.Account.Service + "-" + c.Stage
}

// ClusterIdentifier is the RDS cluster identifier, "main-<service>-<stage>-cluster".
func (c StageConfig) ClusterIdentifier() string {
	return "main-" + c.Prefix() + "-cluster"
}

// WriterIdentifier is the identifier of the cluster's writer instance.
func (c StageConfig) WriterIdentifier() string {
	return "main-" + c.Prefix() + "-writer"
}

// ReaderIdentifier is the identifier of the cluster's n-th reader (from 1).
func (c StageConfig) ReaderIdentifier(n int) string {
	return "main-" + c.Prefix() + "-reader-" + strconv.Itoa(n)
}

// FinalSnapshotName is the snapshot taken when the cluster is deleted.
func (c StageConfig) FinalSnapshotName() string {
	if c.FinalSnapshotIdentifier != "" {
		return c.FinalSnapshotIdentifier
	}
	return c.ClusterIdentifier() + "-final"
}

// SecretName is the Secrets Manager secret holding the master credentials.
func (c StageConfig) SecretName() string {
	return c.Prefix() + "-credentials"
}

// CredentialsArnParameter is the SSM parameter holding the secret's ARN.
func (c StageConfig) CredentialsArnParameter() string {
	return c.Prefix() + "-credentials-arn"
}

// ResourceArnParameter is the SSM parameter holding the cluster's ARN.
func (c StageConfig) ResourceArnParameter() string {
	return c.Prefix() + "-resource-arn"
}

// ReaderEndpointParameter is the SSM parameter holding the cluster's reader
// endpoint.
func (c StageConfig) ReaderEndpointParameter() string {
	return c.Prefix() + "-reader-endpoint"
}

// ParameterGroupFamily is the cluster parameter group family of the engine
// version, "aurora-postgresql<major>".
func (c StageConfig) ParameterGroupFamily() string {
	return "aurora-postgresql" + EngineMajor(c.EngineVersion)
}

// EngineMajor is the major version of an engine version: "16" for 16.6.
// The parameter group family, the review's upgrade risks and the local
// PostgreSQL a cluster runs on all go by it.
func EngineMajor(version string) string {
	major, _, _ := strings.Cut(version, ".")
	return major
}

// ParameterGroupName names the cluster parameter group after the family, so
// a major version upgrade creates the new group before the old one goes.
func (c StageConfig) ParameterGroupName() string {
	return c.Prefix() + "-" + c.ParameterGroupFamily()
}

// KMSAliasName is the alias of the key the stack creates (kmsKey "create").
func (c StageConfig) KMSAliasName() string {
	return "alias/" + c.Prefix() + "-database"
}

// MonitoringRoleName is the IAM role Enhanced Monitoring publishes with.
func (c StageConfig) MonitoringRoleName() string {
	return c.Prefix() + "-rds-monitoring"
}

// StateKey is the stage's object key in the state bucket:
// "[<prefix>/]<service>/<stage>/terraform.tfstate".
func (c StageConfig) StateKey() string {
	return path.Join(c.Account.StateKeyPrefix, c.Account.Service, c.Stage, "terraform.tfstate")
}

// LockKey is the stage's lock file in the state bucket, where Terraform's
// S3-native locking (use_lockfile) puts it: the state key plus ".tflock".
func (c StageConfig) LockKey() string {
	return c.StateKey() + ".tflock"
}

// SecurityGroupName is the database's own security group.
func (c StageConfig) SecurityGroupName() string {
	return c.Prefix() + "-database"
}

// DBSubnetGroupName is the DB subnet group the stage creates over its subnetIds.
func (c StageConfig) DBSubnetGroupName() string {
	return c.Prefix()
}

// SecurityGroupParameter is the SSM parameter that publishes the security
// group's ID, for the database's clients to let themselves in.
func (c StageConfig) SecurityGroupParameter() string {
	return c.Prefix() + "-security-group-id"
}

// AccessPolicyName is the IAM policy that lets a consumer query the database.
func (c StageConfig) AccessPolicyName() string {
	return c.Prefix() + "-database-access"
}

// sessionName names an assumed role's session after what is deployed and
// who deploys it, so CloudTrail tells them apart: IAM allows 2 to 64
// letters, digits and +=,.@- characters.
func sessionName(what, deployer string) string {
	if deployer == "" {
		deployer = "unknown"
	}
	name := invalidSessionCharacters.ReplaceAllString("aurora-stages-"+what+"-"+deployer, "-")
	return name[:min(len(name), 64)]
}

var invalidSessionCharacters = regexp.MustCompile(`[^A-Za-z0-9+=,.@_-]`)

// SessionName is the session under which the stage's provider assumes
// AssumeRoleARN, and the commands that act for a deploy (the Data API's
// switch) assume it too.
func (c StageConfig) SessionName() string {
	return sessionName(c.Stage, c.Account.Deployer)
}

// StateSessionName is the session under which the state bucket's role
// (StateRoleARN) is assumed, by the S3 backend and by cmd/unlock.
func (a AccountSettings) StateSessionName() string {
	return sessionName("state", a.Deployer)
}
