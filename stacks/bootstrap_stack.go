package stacks

import (
	"aurora-stages/settings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketversioning"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// bootstrapStatePath is where the bootstrap stack keeps its own state (the
// bucket cannot hold the state of the stack that creates it), relative to
// the folder terraform runs in, <outdir>/stacks/bootstrap: beside the output
// folder. An emulator's state has a name of its own, so a local run never
// overwrites the real account's.
func bootstrapStatePath(account settings.AccountSettings) string {
	if account.LocalEndpoint != "" {
		return "../../../terraform.bootstrap.local.tfstate"
	}
	return "../../../terraform.bootstrap.tfstate"
}

// NewBootstrapStack builds the stack that creates the state bucket every
// stage's S3 backend uses, the counterpart of `cdk bootstrap`. Deploy it
// once per account before any stage: `cdktf deploy bootstrap`.
func NewBootstrapStack(scope constructs.Construct, cfg settings.BootstrapConfig) cdktf.TerraformStack {
	stack := cdktf.NewTerraformStack(scope, jsii.String(settings.BootstrapStack))
	newAwsProvider(stack, cfg.Account, deployTarget{Region: cfg.Account.Region}, settings.DefaultTags(cfg.Account, settings.BootstrapStack, nil))
	cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{Path: jsii.String(bootstrapStatePath(cfg.Account))})

	// Every stage's state lives here: Terraform refuses to destroy it.
	bucket := s3bucket.NewS3Bucket(stack, jsii.String("state"), &s3bucket.S3BucketConfig{
		Bucket:    jsii.String(cfg.Account.StateBucket),
		Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)},
	})
	refusePlaceholderBucket(stack, bucket, cfg.Account)

	// Versions are what lets a broken state be rolled back.
	s3bucketversioning.NewS3BucketVersioningA(stack, jsii.String("state_versioning"), &s3bucketversioning.S3BucketVersioningAConfig{
		Bucket:                  bucket.Id(),
		VersioningConfiguration: &s3bucketversioning.S3BucketVersioningVersioningConfiguration{Status: jsii.String("Enabled")},
	})
	s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(stack, jsii.String("state_encryption"), &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
		Bucket: bucket.Id(),
		Rule: &[]*s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
			ApplyServerSideEncryptionByDefault: &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
				SseAlgorithm: jsii.String("AES256"),
			},
		}},
	})
	s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(stack, jsii.String("state_public_access"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket:                bucket.Id(),
		BlockPublicAcls:       jsii.Bool(true),
		BlockPublicPolicy:     jsii.Bool(true),
		IgnorePublicAcls:      jsii.Bool(true),
		RestrictPublicBuckets: jsii.Bool(true),
	})
	s3bucketownershipcontrols.NewS3BucketOwnershipControls(stack, jsii.String("state_ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: bucket.Id(),
		Rule:   &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	if emulatorEnforcesTLSPolicy(cfg.Account) {
		s3bucketpolicy.NewS3BucketPolicy(stack, jsii.String("state_tls_only"), &s3bucketpolicy.S3BucketPolicyConfig{
			Bucket: bucket.Id(),
			Policy: cdktf.Fn_Jsonencode(map[string]interface{}{
				"Version": "2012-10-17",
				"Statement": []interface{}{map[string]interface{}{
					"Sid":       "DenyInsecureTransport",
					"Effect":    "Deny",
					"Principal": "*",
					"Action":    "s3:*",
					"Resource":  []interface{}{bucket.Arn(), cdktf.Fn_Join(jsii.String(""), jsii.Strings(*bucket.Arn(), "/*"))},
					"Condition": map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
				}},
			}),
		})
	}
	// Each apply replaces a state file; keep the replaced versions for a
	// while, not forever.
	s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(stack, jsii.String("state_versions_expiry"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: bucket.Id(),
		Rule: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{{
			Id:     jsii.String("expire-replaced-state-versions"),
			Status: jsii.String("Enabled"),
			Filter: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{{Prefix: jsii.String("")}},
			NoncurrentVersionExpiration: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration{{
				NoncurrentDays: jsii.Number(float64(cfg.StateVersionRetentionDays)),
			}},
			AbortIncompleteMultipartUpload: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{{
				DaysAfterInitiation: jsii.Number(7),
			}},
		}},
	})

	output(stack, "state_bucket", bucket.Bucket(), "The bucket that holds every stage's Terraform state")
	output(stack, "state_bucket_arn", bucket.Arn(), "ARN of the state bucket")
	return stack
}

// refusePlaceholderBucket makes Terraform refuse, when it plans bootstrap
// for a real account, the state bucket name cdktf.json ships: S3 bucket
// names are global, so deploying it would create a bucket of that name for
// whoever deploys first, or collide with it. Synthesis and the tests still
// work, and the emulator keeps it (its buckets are its own). A condition
// must refer to another object (Terraform refuses a constant one), hence
// the name recorded in a terraform_data of its own.
func refusePlaceholderBucket(stack cdktf.TerraformStack, bucket s3bucket.S3Bucket, account settings.AccountSettings) {
	if account.StateBucket != settings.PlaceholderStateBucket || account.LocalEndpoint != "" {
		return
	}
	name := cdktf.NewDataResource(stack, jsii.String("state_bucket_name"), &cdktf.DataConfig{Input: &map[string]interface{}{"bucket": account.StateBucket}})
	// CDKTF's lifecycle has no precondition: one escape hatch.
	bucket.AddOverride(jsii.String("lifecycle.precondition"), []map[string]interface{}{{
		"condition":     "${" + address(name) + ".input.bucket != \"" + settings.PlaceholderStateBucket + "\"}",
		"error_message": "context.stateBucket is " + settings.PlaceholderStateBucket + ", the name cdktf.json ships: S3 bucket names are global, so deploying it would create or collide with a bucket that is not yours. Set context.stateBucket in cdktf.json to a bucket name you own, then deploy bootstrap again.",
	}})
}
