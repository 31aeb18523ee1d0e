package stacks

import (
	"path"
	"strconv"
	"strings"
)

// Names of the AWS resources a stage owns. Each follows the seed recipe's
// naming, so existing tooling that looks them up keeps working.

// prefix is what every name of the stage starts with, "<service>-<stage>".
func (c StageConfig) prefix() string {
	return c.Account.Service + "-" + c.Stage
}

// ClusterIdentifier is the RDS cluster identifier, "main-<service>-<stage>-cluster".
func (c StageConfig) ClusterIdentifier() string {
	return "main-" + c.prefix() + "-cluster"
}

// WriterIdentifier is the identifier of the cluster's writer instance.
func (c StageConfig) WriterIdentifier() string {
	return "main-" + c.prefix() + "-writer"
}

// ReaderIdentifier is the identifier of the cluster's n-th reader (from 1).
func (c StageConfig) ReaderIdentifier(n int) string {
	return "main-" + c.prefix() + "-reader-" + strconv.Itoa(n)
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
	return c.prefix() + "-credentials"
}

// CredentialsArnParameter is the SSM parameter holding the secret's ARN.
func (c StageConfig) CredentialsArnParameter() string {
	return c.prefix() + "-credentials-arn"
}

// ResourceArnParameter is the SSM parameter holding the cluster's ARN.
func (c StageConfig) ResourceArnParameter() string {
	return c.prefix() + "-resource-arn"
}

// ReaderEndpointParameter is the SSM parameter holding the cluster's reader
// endpoint.
func (c StageConfig) ReaderEndpointParameter() string {
	return c.prefix() + "-reader-endpoint"
}

// ParameterGroupFamily is the cluster parameter group family of the engine
// version, "aurora-postgresql<major>".
func (c StageConfig) ParameterGroupFamily() string {
	major, _, _ := strings.Cut(c.EngineVersion, ".")
	return "aurora-postgresql" + major
}

// ParameterGroupName names the cluster parameter group after the family, so
// a major version upgrade creates the new group before the old one goes.
func (c StageConfig) ParameterGroupName() string {
	return c.prefix() + "-" + c.ParameterGroupFamily()
}

// KMSAliasName is the alias of the key the stack creates (kmsKey "create").
func (c StageConfig) KMSAliasName() string {
	return "alias/" + c.prefix() + "-database"
}

// MonitoringRoleName is the IAM role Enhanced Monitoring publishes with.
func (c StageConfig) MonitoringRoleName() string {
	return c.prefix() + "-rds-monitoring"
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
	return c.prefix() + "-database"
}

// DBSubnetGroupName is the DB subnet group the stage creates over its subnetIds.
func (c StageConfig) DBSubnetGroupName() string {
	return c.prefix()
}

// SecurityGroupParameter is the SSM parameter that publishes the security
// group's ID, for the database's clients to let themselves in.
func (c StageConfig) SecurityGroupParameter() string {
	return c.prefix() + "-security-group-id"
}

// AccessPolicyName is the IAM policy that lets a consumer query the database.
func (c StageConfig) AccessPolicyName() string {
	return c.prefix() + "-database-access"
}
