package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBootstrapStackCreatesAGuardedStateBucket(t *testing.T) {
	doc := stackJSON(t, "bootstrap")
	bucket := "${aws_s3_bucket.state.id}"
	expectValues(t, "bootstrap", doc, map[string]any{
		"terraform.backend.local.path":                                                "../../../terraform.bootstrap.tfstate",
		"terraform.backend.s3":                                                        absent,
		"provider.aws.region":                                                         "eu-west-1",
		"provider.aws.default_tags.tags":                                              map[string]any{"owner": "platform", "cost-centre": "cc-42", "service": "movies", "stage": "bootstrap", "managed-by": "cdktf"},
		"terraform.required_providers.aws.version":                                    ">= 5.88.0, < 6.0.0",
		"resource.aws_s3_bucket.state.bucket":                                         "movies-terraform-state-test",
		"resource.aws_s3_bucket.state.lifecycle":                                      map[string]any{"prevent_destroy": true},
		"resource.aws_s3_bucket.state.force_destroy":                                  absent,
		"resource.aws_s3_bucket_versioning.state_versioning.bucket":                   bucket,
		"resource.aws_s3_bucket_versioning.state_versioning.versioning_configuration": map[string]any{"status": "Enabled"},
		"resource.aws_s3_bucket_server_side_encryption_configuration.state_encryption.rule": []any{
			map[string]any{"apply_server_side_encryption_by_default": map[string]any{"sse_algorithm": "AES256"}},
		},
		"resource.aws_s3_bucket_public_access_block.state_public_access": map[string]any{
			"//":                      map[string]any{"metadata": map[string]any{"path": "bootstrap/state_public_access", "uniqueId": "state_public_access"}},
			"bucket":                  bucket,
			"block_public_acls":       true,
			"block_public_policy":     true,
			"ignore_public_acls":      true,
			"restrict_public_buckets": true,
		},
		"resource.aws_s3_bucket_ownership_controls.state_ownership.rule": map[string]any{"object_ownership": "BucketOwnerEnforced"},
		"resource.aws_s3_bucket_policy.state_tls_only.policy":            `${jsonencode({"Statement" = [{"Action" = "s3:*", "Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}, "Effect" = "Deny", "Principal" = "*", "Resource" = [aws_s3_bucket.state.arn, join("", [aws_s3_bucket.state.arn, "/*"])], "Sid" = "DenyInsecureTransport"}], "Version" = "2012-10-17"})}`,
		"resource.aws_s3_bucket_lifecycle_configuration.state_versions_expiry.rule": []any{map[string]any{
			"id":                                "expire-replaced-state-versions",
			"status":                            "Enabled",
			"filter":                            []any{map[string]any{"prefix": ""}},
			"noncurrent_version_expiration":     []any{map[string]any{"noncurrent_days": 90.0}},
			"abort_incomplete_multipart_upload": []any{map[string]any{"days_after_initiation": 7.0}},
		}},
		"output.state_bucket.value":     "${aws_s3_bucket.state.bucket}",
		"output.state_bucket_arn.value": "${aws_s3_bucket.state.arn}",
	})
}

const localEndpoint = "http://127.0.0.1:4566"

// localStackJSON parses one stack of the test configuration synthesized
// with the local switch on (DB_LOCAL_ENDPOINT).
func localStackJSON(t *testing.T, stack string) map[string]any {
	t.Helper()
	doc := map[string]any{}
	readJSON(t, filepath.Join(synthesizedFor(t, localEndpoint), "stacks", stack, "cdk.tf.json"), &doc)
	return doc
}

// What the local switch adds, per path. For a real account every one of
// these paths must be absent.
var localOnlySettings = map[string]map[string]any{
	"provider": {
		"provider.aws.access_key":                  "test",
		"provider.aws.secret_key":                  "test",
		"provider.aws.skip_credentials_validation": true,
		"provider.aws.skip_metadata_api_check":     "true",
		"provider.aws.skip_region_validation":      true,
		"provider.aws.s3_use_path_style":           true,
		"provider.aws.profile":                     "aurora-stages-local",
	},
	"backend": {
		"terraform.backend.s3.access_key":                  "test",
		"terraform.backend.s3.secret_key":                  "test",
		"terraform.backend.s3.skip_credentials_validation": true,
		"terraform.backend.s3.skip_requesting_account_id":  true,
		"terraform.backend.s3.skip_metadata_api_check":     true,
		"terraform.backend.s3.skip_region_validation":      true,
		"terraform.backend.s3.use_path_style":              true,
		"terraform.backend.s3.endpoints":                   map[string]any{"iam": localEndpoint, "s3": localEndpoint, "sts": localEndpoint},
	},
	"cluster": {
		"resource.aws_rds_cluster_instance.writer.lifecycle": map[string]any{"ignore_changes": []any{"performance_insights_enabled", "performance_insights_retention_period", "performance_insights_kms_key_id"}},
	},
}

// stackResource is one resource of the real account's synthesis.
func stackResource(t *testing.T, stack, address string) any {
	value, ok := lookup(stackJSON(t, stack), "resource."+address)
	if !ok {
		t.Fatalf("stack %s has no %s", stack, address)
	}
	return value
}

func absentAll(paths map[string]any) map[string]any {
	want := map[string]any{}
	for path := range paths {
		want[path] = absent
	}
	return want
}

// The local switch points provider and backend at the emulator; for a real
// account the synthesized Terraform carries none of it.
func TestLocalSwitchOnlyChangesTheLocalTarget(t *testing.T) {
	for _, stage := range testStages {
		for _, part := range []string{"provider", "backend", "cluster"} {
			expectValues(t, stage, stackJSON(t, stage), absentAll(localOnlySettings[part]))
			expectValues(t, stage+" (local)", localStackJSON(t, stage), localOnlySettings[part])
		}
		// The restore arguments act only at creation, everywhere; locally
		// moto's reports of the Data API, scaling, storage, IAM
		// authentication and Database Insights (its mode, the cluster's
		// Performance Insights) are ignored too.
		restoreOnly := []any{"restore_to_point_in_time", "snapshot_identifier"}
		expectValues(t, stage, stackJSON(t, stage), map[string]any{"resource.aws_rds_cluster.cluster.lifecycle.ignore_changes": restoreOnly})
		expectValues(t, stage+" (local)", localStackJSON(t, stage), map[string]any{"resource.aws_rds_cluster.cluster.lifecycle.ignore_changes": append(restoreOnly,
			"enable_http_endpoint", "scaling_configuration", "storage_type", "iam_database_authentication_enabled",
			"database_insights_mode", "performance_insights_enabled", "performance_insights_retention_period", "performance_insights_kms_key_id")})
		// Locally the Data API stays requested: only moto's report of it is
		// ignored. The storage type is not sent: moto fails on Aurora's.
		expectValues(t, stage+" (local)", localStackJSON(t, stage), map[string]any{
			"resource.aws_rds_cluster.cluster.enable_http_endpoint": true,
			"resource.aws_rds_cluster.cluster.storage_type":         absent,
			"terraform.backend.s3.bucket":                           "movies-terraform-state-test",
			"terraform.backend.s3.use_lockfile":                     true,
		})
	}
	// moto keeps no description on a rule from another security group.
	referencedRule := map[string]any{"resource.aws_vpc_security_group_ingress_rule.ingress_from_sg_0a1b2c3d4e5f60718.lifecycle": map[string]any{"ignore_changes": []any{"description"}}}
	expectValues(t, "staging", stackJSON(t, "staging"), absentAll(referencedRule))
	expectValues(t, "staging (local)", localStackJSON(t, "staging"), referencedRule)
	expectLocalProfile(t)
	expectValues(t, "bootstrap", stackJSON(t, "bootstrap"), absentAll(localOnlySettings["provider"]))
	expectValues(t, "bootstrap (local)", localStackJSON(t, "bootstrap"), localOnlySettings["provider"])
	// A local run keeps its bootstrap state apart from the real account's,
	// and goes without the TLS-only policy moto cannot evaluate.
	expectValues(t, "bootstrap (local)", localStackJSON(t, "bootstrap"), map[string]any{
		"terraform.backend.local.path":                   "../../../terraform.bootstrap.local.tfstate",
		"resource.aws_s3_bucket_policy":                  absent,
		"resource.aws_s3_bucket_versioning":              map[string]any{"state_versioning": stackResource(t, "bootstrap", "aws_s3_bucket_versioning.state_versioning")},
		"resource.aws_s3_bucket_public_access_block":     map[string]any{"state_public_access": stackResource(t, "bootstrap", "aws_s3_bucket_public_access_block.state_public_access")},
		"resource.aws_s3_bucket_lifecycle_configuration": map[string]any{"state_versions_expiry": stackResource(t, "bootstrap", "aws_s3_bucket_lifecycle_configuration.state_versions_expiry")},
	})
	expectValues(t, "bootstrap", stackJSON(t, "bootstrap"), map[string]any{
		"resource.aws_s3_bucket_policy.state_tls_only.bucket": "${aws_s3_bucket.state.id}",
	})
}

// The local target sends every service of the provider to the emulator
// through a shared-config profile written beside the stacks, not through
// the provider's endpoints block (stacks/target.go says why).
func expectLocalProfile(t *testing.T) {
	t.Helper()
	file := filepath.Join(synthesizedFor(t, localEndpoint), "local-aws.config")
	for _, stack := range testStacks {
		expectValues(t, stack+" (local)", localStackJSON(t, stack), map[string]any{
			"provider.aws.shared_config_files": []any{file},
			"provider.aws.endpoints":           absent,
		})
		expectValues(t, stack, stackJSON(t, stack), map[string]any{"provider.aws.shared_config_files": absent})
	}
	config, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "[profile aurora-stages-local]\nendpoint_url = " + localEndpoint + "\n"; !strings.HasSuffix(string(config), want) {
		t.Errorf("%s:\n%s\nwant it to end with\n%s", file, config, want)
	}
	if _, err := os.Stat(filepath.Join(synthesized(t), "local-aws.config")); err == nil {
		t.Error("a synthesis for a real account wrote local-aws.config")
	}
}
