package stacks

import (
	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// kmsKeyDeletionDays is the longest wait AWS allows before it deletes a key:
// once a key is gone, every snapshot encrypted with it is unreadable.
const kmsKeyDeletionDays = 30

// newEncryptionKey returns the ARN of the key that encrypts the cluster,
// its Performance Insights data and the secret, or nil for the AWS-managed
// keys. For kmsKey "create" it creates the key with its alias.
func newEncryptionKey(stack cdktf.TerraformStack, cfg settings.StageConfig, partition, account func() string) *string {
	switch cfg.KMSKey {
	case settings.KMSKeyAWSManaged:
		return nil
	case settings.KMSKeyCreate:
	default:
		return jsii.String(cfg.KMSKey)
	}

	// AWS's default key policy: the account administers the key, and IAM
	// policies decide who may use it. Without this statement nobody could
	// manage the key after creation.
	policy := dataawsiampolicydocument.NewDataAwsIamPolicyDocument(stack, jsii.String("key_policy"), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{
		Statement: &[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{{
			Sid:     jsii.String("AccountAdministersKeyThroughIAM"),
			Effect:  jsii.String("Allow"),
			Actions: jsii.Strings("kms:*"),
			// In a key policy "*" is the key itself.
			Resources: jsii.Strings("*"),
			Principals: &[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{{
				Type:        jsii.String("AWS"),
				Identifiers: jsii.Strings("arn:" + partition() + ":iam::" + account() + ":root"),
			}},
		}},
	})
	key := kmskey.NewKmsKey(stack, jsii.String("key"), &kmskey.KmsKeyConfig{
		Description:          jsii.String("Encrypts the " + cfg.Account.Service + " " + cfg.Stage + " Aurora PostgreSQL cluster " + cfg.ClusterIdentifier() + ", its Performance Insights data and its credentials secret"),
		EnableKeyRotation:    jsii.Bool(true),
		DeletionWindowInDays: jsii.Number(kmsKeyDeletionDays),
		Policy:               policy.Json(),
		Lifecycle:            &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(cfg.PreventDestroy)},
		Tags:                 &map[string]*string{"Name": jsii.String(cfg.KMSAliasName())},
	})
	kmsalias.NewKmsAlias(stack, jsii.String("key_alias"), &kmsalias.KmsAliasConfig{
		Name:        jsii.String(cfg.KMSAliasName()),
		TargetKeyId: key.KeyId(),
	})
	return key.Arn()
}

// newEncryptionSetting records the stage's kmsKey setting in the state
// (terraform_data, built into Terraform: no provider) and returns its
// address, for replace_triggered_by.
//
// Storage encryption cannot be re-keyed, so a new kmsKey must replace the
// cluster and the secret. The arguments do not always say so: going back
// to the AWS-managed keys unsets kms_key_id, which the provider treats as
// "keep the current key" on both, so the cluster and the secret would stay
// on the stack's key while the stack schedules that key's deletion, and
// every plan after would show the secret's key change again. A change of
// this record replaces both; creating it (a stage deployed before it
// existed) replaces nothing.
func newEncryptionSetting(stack cdktf.TerraformStack, cfg settings.StageConfig) *string {
	setting := cdktf.NewDataResource(stack, jsii.String("encryption"), &cdktf.DataConfig{
		Input: &map[string]interface{}{"kms_key": cfg.KMSKey},
	})
	return jsii.String(address(setting))
}

// address is a resource's bare address ("aws_rds_cluster.cluster"), as
// replace_triggered_by takes it: Terraform reads that list as references,
// not as "${...}" templates.
func address(resource cdktf.TerraformResource) string {
	return *resource.TerraformResourceType() + "." + *resource.FriendlyUniqueId()
}
