package stacks

import (
	"aurora-stages/settings"
	"aurora-stages/stacks/addresses"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/rdscluster"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecretversion"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// How the master password stays the same in the cluster and in the secret.
//
// The password is generated (an ephemeral random password: never in state,
// a plan or the synthesized JSON) and first written to the secret alone, as
// its own version labelled masterPasswordStage: the password of record.
// The cluster and the credentials version that clients read both take the
// password from that version, read back through an ephemeral
// aws_secretsmanager_secret_version, never from the generator. So any apply
// that writes either of them writes the same password, even one that runs
// after an interrupted deploy, when the generator yields a new value.
//
// Write-only arguments are sent only when their version number changes.
// Both numbers derive from the ID of the password's secret version
// (local.password_generation), so whenever a new password is recorded, the
// cluster and the credentials are written with it in the same apply; the
// credentials are also rewritten whenever the cluster is created or
// replaced (a new endpoint, identifier, user or database name).
//
// No create_before_destroy: Terraform propagates it to every resource a
// create-before-destroy resource depends on, which made the cluster itself
// create-before-destroy, and a second cluster under the same identifier is
// refused. Replacing a secret version destroys it first, which keeps
// AWSCURRENT where it is (the provider never removes that label), so the
// secret has a current value throughout and the old one ends as
// AWSPREVIOUS.

// masterPassword is the address of the ephemeral generator. Terraform opens
// it anew on every plan and apply; only the password of record reads it.
const masterPassword = "ephemeral.aws_secretsmanager_random_password.master_password"

// recordedPassword is the address of the ephemeral read of the password of
// record.
const recordedPassword = "ephemeral.aws_secretsmanager_secret_version.master_password"

// masterPasswordStage labels the password of record. A label of its own
// keeps AWSCURRENT on the credentials clients read, and keeps AWS from
// treating the version as deprecated.
const masterPasswordStage = "master-password"

// credentials is the master password's plumbing: where the cluster and the
// credentials version take it from.
type credentials struct {
	// password is the password of record, for write-only arguments only.
	password *string
	// generation changes whenever a new password is recorded: the version
	// of every write-only argument that carries it.
	generation *float64
}

// newMasterPassword generates the password and records it in the secret.
func newMasterPassword(stack cdktf.TerraformStack, cfg settings.StageConfig, secret secretsmanagersecret.SecretsmanagerSecret) credentials {
	// Escape hatch: CDKTF has no ephemeral blocks. The seed recipe asked for
	// a password without punctuation or spaces, which every client can quote.
	stack.AddOverride(jsii.String(masterPassword), map[string]interface{}{
		"password_length":     32,
		"exclude_punctuation": true,
		"include_space":       false,
	})
	// A local turns the raw address into a token: inside Fn_Jsonencode a
	// plain "${...}" string would be escaped into a literal.
	generated := cdktf.NewTerraformLocal(stack, jsii.String("generated_password"), jsii.String("${"+masterPassword+".random_password}")).AsString()

	record := secretsmanagersecretversion.NewSecretsmanagerSecretVersion(stack, jsii.String("master_password"), &secretsmanagersecretversion.SecretsmanagerSecretVersionConfig{
		SecretId:              secret.Id(),
		SecretStringWo:        cdktf.Fn_Jsonencode(&map[string]interface{}{"password": generated}),
		SecretStringWoVersion: jsii.Number(float64(cfg.CredentialsVersion)),
		VersionStages:         jsii.Strings(masterPasswordStage),
		Lifecycle: &cdktf.TerraformResourceLifecycle{
			// AWS labels a secret's first version AWSCURRENT whatever was
			// asked, and moves AWSPREVIOUS onto it later; the version is
			// read by its ID, so its labels do not matter after the put.
			IgnoreChanges: jsii.Strings("version_stages"),
		},
	})
	recordAddress := *record.Fqn()

	// Escape hatch: CDKTF has no ephemeral blocks. Read by version ID, so a
	// later version of the secret never changes what is read.
	stack.AddOverride(jsii.String(recordedPassword), map[string]interface{}{
		"secret_id":  "${" + *secret.Fqn() + ".id}",
		"version_id": "${" + recordAddress + ".version_id}",
	})
	password := cdktf.NewTerraformLocal(stack, jsii.String("recorded_password"), jsii.String("${jsondecode("+recordedPassword+".secret_string).password}")).AsString()
	// A whole number from the version ID: 12 hex digits (48 bits) of its
	// SHA-256 fit any write-only version argument.
	generation := cdktf.NewTerraformLocal(stack, jsii.String("password_generation"), jsii.String("${parseint(substr(sha256("+recordAddress+".version_id), 0, 12), 16)}")).AsNumber()
	return credentials{password: password, generation: generation}
}

// newCredentialsValue writes what clients read: the JSON shape RDS's own
// secrets use, which the Data API and the rotation functions read, with
// the cluster's values and the password of record. Write-only: its value
// never reaches state.
func newCredentialsValue(stack cdktf.TerraformStack, secret secretsmanagersecret.SecretsmanagerSecret, cluster rdscluster.RdsCluster, creds credentials) {
	secretsmanagersecretversion.NewSecretsmanagerSecretVersion(stack, jsii.String(addresses.CredentialsValueID), &secretsmanagersecretversion.SecretsmanagerSecretVersionConfig{
		SecretId: secret.Id(),
		SecretStringWo: cdktf.Fn_Jsonencode(&map[string]interface{}{
			"username":            cluster.MasterUsername(),
			"password":            creds.password,
			"engine":              "postgres",
			"host":                cluster.Endpoint(),
			"port":                cluster.Port(),
			"dbname":              cluster.DatabaseName(),
			"dbClusterIdentifier": cluster.ClusterIdentifier(),
		}),
		SecretStringWoVersion: creds.generation,
		Lifecycle: &cdktf.TerraformResourceLifecycle{
			// A new cluster (a new endpoint, user or database, and a resource
			// ID of its own) gets its credentials written in the same apply.
			ReplaceTriggeredBy: &[]interface{}{jsii.String(address(cluster) + ".cluster_resource_id")},
		},
	})
}
