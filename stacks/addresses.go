package stacks

// The construct IDs of the resources the review's rules name, and their
// Terraform addresses, in one place: renaming a construct moves the
// address the review checks with it, and a test fails when a rule of the
// review names an address that no synthesized stage has.
const (
	clusterID          = "cluster"
	writerID           = "writer"
	credentialsValueID = "credentials_value"

	// ClusterAddress is the stage's cluster.
	ClusterAddress = "aws_rds_cluster." + clusterID
	// WriterAddress is its writer instance; readers are others of the type.
	WriterAddress = "aws_rds_cluster_instance." + writerID
	// CredentialsValueAddress is the secret version clients read.
	CredentialsValueAddress = "aws_secretsmanager_secret_version." + credentialsValueID
)
