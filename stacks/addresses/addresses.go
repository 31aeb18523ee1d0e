// Package addresses holds the construct IDs of the stack's resources that
// the review's rules name, and their Terraform addresses, in one place that
// imports nothing: the stacks build those resources under these IDs, the
// review reads plans by these addresses, so renaming a construct moves the
// address the review checks with it (and a test fails when a rule of the
// review names an address that no synthesized stage has).
package addresses

const (
	// ClusterID is the cluster's construct ID.
	ClusterID = "cluster"
	// WriterID is the writer instance's.
	WriterID = "writer"
	// CredentialsValueID is the secret version clients read.
	CredentialsValueID = "credentials_value"

	// Cluster is the stage's cluster.
	Cluster = "aws_rds_cluster." + ClusterID
	// Writer is its writer instance; readers are others of the type.
	Writer = "aws_rds_cluster_instance." + WriterID
	// CredentialsValue is the secret version clients read.
	CredentialsValue = "aws_secretsmanager_secret_version." + CredentialsValueID
)
