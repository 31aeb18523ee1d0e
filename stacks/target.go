package stacks

import (
	"fmt"
	"os"
	"path/filepath"

	"aurora-stages/settings"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// The AWS provider and the S3 backend point at a real account unless the
// account settings name a local endpoint (DB_LOCAL_ENDPOINT): an AWS
// emulator such as moto, which answers every service on one address. For a
// real account none of the settings below are synthesized.

// deployTarget is where a stack's provider works: its region and, for a
// stage in an account of its own, the role it assumes and the only account
// it may touch.
type deployTarget struct {
	Region        string
	AssumeRoleARN string
	SessionName   string
	AccountID     string
}

// newAwsProvider configures the AWS provider of a stack.
func newAwsProvider(stack cdktf.TerraformStack, account settings.AccountSettings, target deployTarget, tags map[string]string) {
	config := &provider.AwsProviderConfig{
		Region: jsii.String(target.Region),
		DefaultTags: &[]*provider.AwsProviderDefaultTags{{
			Tags: stringMap(tags),
		}},
	}
	if target.AssumeRoleARN != "" {
		config.AssumeRole = &[]*provider.AwsProviderAssumeRole{{
			RoleArn:     jsii.String(target.AssumeRoleARN),
			SessionName: jsii.String(target.SessionName),
		}}
	}
	if target.AccountID != "" {
		// Terraform stops before the plan with credentials of any other
		// account: nothing else would keep production's deploy out of dev's
		// account, or the other way round.
		config.AllowedAccountIds = jsii.Strings(target.AccountID)
	}
	if local := account.LocalEndpoint; local != "" {
		config.AccessKey = jsii.String(settings.LocalCredentials)
		config.SecretKey = jsii.String(settings.LocalCredentials)
		config.SkipCredentialsValidation = jsii.Bool(true)
		// The account ID is asked for (moto answers STS with 123456789012):
		// without it the provider takes every security group a rule
		// references for another account's, "<account>/sg-...", and plans
		// to change the rule back on every run.
		config.SkipMetadataApiCheck = jsii.String("true")
		config.SkipRegionValidation = jsii.Bool(true)
		config.S3UsePathStyle = jsii.Bool(true)
		// Every service at the emulator through a shared-config profile
		// whose endpoint_url names it, not through the provider's endpoints
		// block: the provider spends about 3 CPU-seconds validating a
		// configuration that has an endpoints block, whatever it holds, and
		// validates it twice in every plan (provider 5.100: a no-op plan of
		// dev cost its plugin 6.9 CPU-seconds with the block, 0.7 with the
		// profile). The keys above still win over anything in a profile.
		config.Profile = jsii.String(localProfile)
		config.SharedConfigFiles = jsii.Strings(writeLocalProfile(stack, local))
	}
	provider.NewAwsProvider(stack, jsii.String("aws"), config)
	// Escape hatch: the prebuilt bindings pin the provider to exactly the
	// version they were generated from (5.88.0); admit the newer 5.x releases.
	stack.AddOverride(jsii.String("terraform.required_providers.aws.version"), jsii.String(AWSProviderConstraint))
}

// localProfile is the profile of the local target's shared-config file.
const localProfile = "aurora-stages-local"

// writeLocalProfile writes the shared-config file that sends every AWS
// service of the stack's provider to the emulator, into the app's output
// folder, and returns its absolute path: the provider reads it from its
// plugin's working folder, which need not be the stack's.
func writeLocalProfile(stack cdktf.TerraformStack, endpoint string) string {
	outdir, err := filepath.Abs(*cdktf.App_Of(stack).Outdir())
	if err == nil {
		err = os.MkdirAll(outdir, 0o755)
	}
	path := filepath.Join(outdir, "local-aws.config")
	if err == nil {
		err = os.WriteFile(path, []byte(localProfileConfig(endpoint)), 0o644)
	}
	if err != nil {
		panic(fmt.Errorf("writing the local target's AWS config: %w", err))
	}
	return path
}

// localProfileConfig is that file's content.
func localProfileConfig(endpoint string) string {
	return "# Written by the app for the local target (stacks/target.go): every AWS service at the emulator.\n" +
		"[profile " + localProfile + "]\nendpoint_url = " + endpoint + "\n"
}

// newS3Backend stores a stage's state in the state bucket under its own key,
// encrypted and locked.
func newS3Backend(stack cdktf.TerraformStack, account settings.AccountSettings, key string) {
	config := &cdktf.S3BackendConfig{
		Bucket:  jsii.String(account.StateBucket),
		Key:     jsii.String(key),
		Region:  jsii.String(account.Region),
		Encrypt: jsii.Bool(true),
	}
	if local := account.LocalEndpoint; local != "" {
		config.AccessKey = jsii.String(settings.LocalCredentials)
		config.SecretKey = jsii.String(settings.LocalCredentials)
		config.SkipCredentialsValidation = jsii.Bool(true)
		config.SkipRequestingAccountId = jsii.Bool(true)
		config.SkipMetadataApiCheck = jsii.Bool(true)
		config.SkipRegionValidation = jsii.Bool(true)
		config.UsePathStyle = jsii.Bool(true)
		config.Endpoints = &cdktf.S3BackendEndpointConfig{
			S3:  jsii.String(local),
			Sts: jsii.String(local),
			Iam: jsii.String(local),
		}
	}
	if account.StateRoleARN != "" {
		config.AssumeRole = &cdktf.S3BackendAssumeRoleConfig{
			RoleArn:     jsii.String(account.StateRoleARN),
			SessionName: jsii.String(account.StateSessionName()),
		}
	}
	backend := cdktf.NewS3Backend(stack, config)
	// Escape hatch: CDKTF's S3 backend predates S3-native state locking
	// (Terraform 1.10), so it has no use_lockfile argument.
	backend.AddOverride(jsii.String("use_lockfile"), jsii.Bool(true))
}

// Where moto differs from AWS, the local target works around it here and
// nowhere else; a real account gets none of these.

// emulatorClusterQuirks lists the cluster arguments whose value moto reports
// differently from AWS, which would make every plan after a local deploy show
// changes: moto reports the Data API as off for Serverless v2 clusters
// (HttpEndpointEnabled false), returns an empty Serverless v1
// ScalingConfigurationInfo for provisioned clusters, which the provider reads
// as a scaling_configuration block, and keeps IAM database authentication
// as the cluster was created (a restore from a snapshot: off), whatever a
// ModifyDBCluster asks later. The arguments keep their real values;
// locally only their drift is ignored.
func emulatorClusterQuirks(account settings.AccountSettings) []string {
	if account.LocalEndpoint == "" {
		return nil
	}
	return []string{"enable_http_endpoint", "scaling_configuration", "storage_type", "iam_database_authentication_enabled",
		"database_insights_mode", "performance_insights_enabled", "performance_insights_retention_period", "performance_insights_kms_key_id"}
}

// EmulatorLacksRestoreSwitches is true on moto 5.2.5: it implements no
// EnableHttpEndpoint (a server error) and reflects no ModifyDBCluster of
// IAM database authentication. Locally, finishing a restored cluster
// (internal/afterrestore) sends the calls, for the tests to read from the
// recorded requests, and cannot wait for RDS to report them on.
func EmulatorLacksRestoreSwitches(account settings.AccountSettings) bool {
	return account.LocalEndpoint != ""
}

// emulatorStorageType is the cluster's storage_type argument: moto 5.2.5
// fails CreateDBCluster with a server error (KeyError) on aurora and
// aurora-iopt1, Aurora's only storage types, and the provider retries it
// until it times out. Locally the argument is not sent, and moto's own
// value (gp2) is ignored above.
func emulatorStorageType(account settings.AccountSettings, storageType string) *string {
	if account.LocalEndpoint != "" {
		return nil
	}
	return jsii.String(storageType)
}

// emulatorInstanceLifecycle does the same for the writer and the readers:
// moto accepts the Performance Insights arguments but reports them as off.
func emulatorInstanceLifecycle(account settings.AccountSettings) *cdktf.TerraformResourceLifecycle {
	if account.LocalEndpoint == "" {
		return nil
	}
	return &cdktf.TerraformResourceLifecycle{
		IgnoreChanges: jsii.Strings("performance_insights_enabled", "performance_insights_retention_period", "performance_insights_kms_key_id"),
	}
}

// emulatorReferencedRuleLifecycle does the same for an ingress rule from
// another security group: moto keeps no description for such a rule.
func emulatorReferencedRuleLifecycle(account settings.AccountSettings) *cdktf.TerraformResourceLifecycle {
	if account.LocalEndpoint == "" {
		return nil
	}
	return &cdktf.TerraformResourceLifecycle{IgnoreChanges: jsii.Strings("description")}
}

// emulatorEnforcesTLSPolicy is false on moto: it ignores a policy's
// conditions, so the state bucket's "deny unless aws:SecureTransport" would
// deny every request, over TLS or not. Locally the bucket goes without it.
func emulatorEnforcesTLSPolicy(account settings.AccountSettings) bool {
	return account.LocalEndpoint == ""
}

func stringMap(m map[string]string) *map[string]*string {
	out := map[string]*string{}
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}
