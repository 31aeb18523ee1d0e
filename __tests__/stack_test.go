package tests

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// stageExpectation holds what differs between the test stages; everything
// else is the same for every stage and is listed in expectedValues.
type stageExpectation struct {
	stage                  string
	minCapacity            float64
	maxCapacity            float64
	autoPause              any // seconds, or absent when the stage never pauses
	backupDays             float64
	deletionProtection     bool
	preventDestroy         bool
	finalSnapshotID        any // identifier, or absent
	deleteAutomatedBackups bool
	logExports             []any
	recoveryWindowDays     float64
	credentialsVersion     float64
	kmsKey                 any // the key ARN expression, or absent for AWS-managed keys
	kmsKeySetting          string
	subnetGroup            any // the DB subnet group's name or reference, or absent for RDS's default
	region                 string
	assumeRole             any // the provider's assume_role block, or absent
	allowedAccounts        any // the provider's allowed_account_ids, or absent
	iamAuth                bool
	performanceInsights    bool
	piRetentionDays        any // days, or absent when Performance Insights is off
	monitoringInterval     float64
	autoMinorUpgrade       bool
	applyImmediately       bool
	allowMajorUpgrade      bool
	logStatement           string
	logMinDurationMs       string
	defaultTags            map[string]any // the account's tags, the stage's over them, the stack's own
	readers                int
	storageType            string
	backupWindow           any // hh24:mi-hh24:mi, or absent to let AWS choose
	maintenanceWindow      any // ddd:hh24:mi-ddd:hh24:mi, or absent
}

const (
	createdKey  = "${aws_kms_key.key.arn}"
	existingKey = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

var stageExpectations = []stageExpectation{
	{
		stage: "dev", minCapacity: 0, maxCapacity: 4, autoPause: 3600.0, backupDays: 1,
		deletionProtection: false, preventDestroy: false, finalSnapshotID: absent,
		deleteAutomatedBackups: true, logExports: []any{}, recoveryWindowDays: 0, credentialsVersion: 1,
		kmsKey: absent, kmsKeySetting: "aws-managed", subnetGroup: absent, iamAuth: true, performanceInsights: true, piRetentionDays: 7.0, monitoringInterval: 0,
		autoMinorUpgrade: true, logStatement: "ddl", logMinDurationMs: "1000",
		applyImmediately: true, allowMajorUpgrade: false,
		region: "eu-west-1", assumeRole: absent, allowedAccounts: absent,
		readers: 0, storageType: "aurora", backupWindow: absent, maintenanceWindow: absent,
		defaultTags: map[string]any{"owner": "platform", "cost-centre": "cc-42", "service": "movies", "stage": "dev", "managed-by": "cdktf"},
	},
	{
		stage: "production", minCapacity: 0, maxCapacity: 256, autoPause: 10800.0, backupDays: 30,
		deletionProtection: true, preventDestroy: true, finalSnapshotID: "main-movies-production-cluster-final",
		deleteAutomatedBackups: false, logExports: []any{"postgresql"}, recoveryWindowDays: 30, credentialsVersion: 1,
		kmsKey: createdKey, kmsKeySetting: "create", subnetGroup: absent, iamAuth: true, performanceInsights: true, piRetentionDays: 7.0, monitoringInterval: 60,
		autoMinorUpgrade: true, logStatement: "ddl", logMinDurationMs: "1000",
		applyImmediately: false, allowMajorUpgrade: false,
		region: "eu-west-1", assumeRole: absent, allowedAccounts: absent,
		readers: 1, storageType: "aurora", backupWindow: "03:00-04:00", maintenanceWindow: "sun:04:30-sun:05:30",
		defaultTags: map[string]any{"owner": "platform", "cost-centre": "cc-42", "service": "movies", "stage": "production", "managed-by": "cdktf"},
	},
	{
		// Not production, so it starts from the dev profile; its entry
		// overrides a few settings.
		stage: "staging", minCapacity: 0, maxCapacity: 16, autoPause: 3600.0, backupDays: 7,
		deletionProtection: false, preventDestroy: false, finalSnapshotID: absent,
		deleteAutomatedBackups: true, logExports: []any{}, recoveryWindowDays: 0, credentialsVersion: 2,
		kmsKey: existingKey, kmsKeySetting: existingKey, subnetGroup: "${aws_db_subnet_group.subnets.name}", iamAuth: true, performanceInsights: false, piRetentionDays: absent, monitoringInterval: 30,
		autoMinorUpgrade: true, logStatement: "ddl", logMinDurationMs: "1000",
		applyImmediately: true, allowMajorUpgrade: true,
		region: "eu-west-1", assumeRole: absent, allowedAccounts: absent,
		readers: 2, storageType: "aurora-iopt1", backupWindow: "23:30-00:15", maintenanceWindow: "sat:22:00-sat:23:00",
		defaultTags: map[string]any{"owner": "platform", "cost-centre": "cc-7", "data": "personal", "service": "movies", "stage": "staging", "managed-by": "cdktf"},
	},
	{
		stage: "load", minCapacity: 0.5, maxCapacity: 64, autoPause: absent, backupDays: 1,
		deletionProtection: false, preventDestroy: false, finalSnapshotID: absent,
		deleteAutomatedBackups: true, logExports: []any{}, recoveryWindowDays: 0, credentialsVersion: 1,
		kmsKey: absent, kmsKeySetting: "aws-managed", subnetGroup: "team-databases", iamAuth: false, performanceInsights: true, piRetentionDays: 93.0, monitoringInterval: 0,
		autoMinorUpgrade: false, logStatement: "none", logMinDurationMs: "-1",
		applyImmediately: false, allowMajorUpgrade: false,
		region: "eu-central-1", allowedAccounts: []any{"444455556666"},
		readers: 0, storageType: "aurora", backupWindow: absent, maintenanceWindow: absent,
		defaultTags: map[string]any{"owner": "platform", "cost-centre": "cc-42", "service": "movies", "stage": "load", "managed-by": "cdktf"},
		assumeRole:  []any{map[string]any{"role_arn": "arn:aws:iam::444455556666:role/deploy/aurora-stages", "session_name": "aurora-stages-load-ci-bot"}},
	},
}

func expectedValues(e stageExpectation) map[string]any {
	cluster := "resource.aws_rds_cluster.cluster."
	writer := "resource.aws_rds_cluster_instance.writer."
	secret := "resource.aws_secretsmanager_secret.credentials."
	version := "resource.aws_secretsmanager_secret_version.credentials_value."
	password := "ephemeral.aws_secretsmanager_random_password.master_password."
	record := "resource.aws_secretsmanager_secret_version.master_password."
	credentialsParam := "resource.aws_ssm_parameter.credentials_arn."
	resourceParam := "resource.aws_ssm_parameter.resource_arn."
	parameters := "resource.aws_rds_cluster_parameter_group.parameters."
	clusterID := "main-movies-" + e.stage + "-cluster"
	monitoringRole := any(absent)
	if e.monitoringInterval > 0 {
		monitoringRole = "${aws_iam_role.monitoring.arn}"
	}
	piKey := e.kmsKey
	if !e.performanceInsights {
		piKey = absent
	}

	return map[string]any{
		// Provider, provider version and backend.
		"provider.aws.region":                          e.region,
		"provider.aws.assume_role":                     e.assumeRole,
		"provider.aws.allowed_account_ids":             e.allowedAccounts,
		"terraform.backend.s3.assume_role":             map[string]any{"role_arn": "arn:aws:iam::999988887777:role/terraform-state", "session_name": "aurora-stages-state-ci-bot"},
		"provider.aws.default_tags.tags":               e.defaultTags,
		"terraform.required_providers.aws.source":      "aws",
		"terraform.required_providers.aws.version":     ">= 5.88.0, < 6.0.0",
		"terraform.backend.s3.bucket":                  "movies-terraform-state-test",
		"terraform.backend.s3.key":                     "platform/movies/" + e.stage + "/terraform.tfstate",
		"terraform.backend.s3.region":                  "eu-west-1",
		"terraform.backend.s3.encrypt":                 true,
		"terraform.backend.s3.use_lockfile":            true,
		"terraform.backend.s3.dynamodb_table":          absent,
		"ephemeral.aws_secretsmanager_random_password": map[string]any{"master_password": map[string]any{"password_length": 32.0, "exclude_punctuation": true, "include_space": false}},
		password + "exclude_characters":                absent,
		"locals.generated_password":                    "${ephemeral.aws_secretsmanager_random_password.master_password.random_password}",
		"locals.recorded_password":                     "${jsondecode(ephemeral.aws_secretsmanager_secret_version.master_password.secret_string).password}",
		"locals.password_generation":                   "${parseint(substr(sha256(aws_secretsmanager_secret_version.master_password.version_id), 0, 12), 16)}",
		"ephemeral.aws_secretsmanager_secret_version": map[string]any{"master_password": map[string]any{
			"secret_id":  "${aws_secretsmanager_secret.credentials.id}",
			"version_id": "${aws_secretsmanager_secret_version.master_password.version_id}",
		}},

		// The secret and its write-only value.
		secret + "name":                            "movies-" + e.stage + "-credentials",
		secret + "description":                     "Master credentials of the movies " + e.stage + " Aurora PostgreSQL cluster " + clusterID,
		secret + "recovery_window_in_days":         e.recoveryWindowDays,
		secret + "tags":                            map[string]any{"Name": "movies-" + e.stage + "-credentials"},
		secret + "kms_key_id":                      e.kmsKey,
		secret + "lifecycle":                       map[string]any{"replace_triggered_by": []any{"terraform_data.encryption"}},
		"resource.terraform_data.encryption.input": map[string]any{"kms_key": e.kmsKeySetting},
		record + "secret_id":                       "${aws_secretsmanager_secret.credentials.id}",
		record + "secret_string_wo":                `${jsonencode({"password" = local.generated_password})}`,
		record + "secret_string_wo_version":        e.credentialsVersion,
		record + "version_stages":                  []any{"master-password"},
		record + "lifecycle":                       map[string]any{"ignore_changes": []any{"version_stages"}},
		version + "secret_id":                      "${aws_secretsmanager_secret.credentials.id}",
		version + "secret_string_wo":               `${jsonencode({"dbClusterIdentifier" = aws_rds_cluster.cluster.cluster_identifier, "dbname" = aws_rds_cluster.cluster.database_name, "engine" = "postgres", "host" = aws_rds_cluster.cluster.endpoint, "password" = local.recorded_password, "port" = aws_rds_cluster.cluster.port, "username" = aws_rds_cluster.cluster.master_username})}`,
		version + "secret_string_wo_version":       "${local.password_generation}",
		version + "secret_string":                  absent,
		// Never create_before_destroy: it would spread to the cluster.
		version + "lifecycle": map[string]any{"replace_triggered_by": []any{"aws_rds_cluster.cluster.cluster_resource_id"}},

		// The cluster.
		cluster + "cluster_identifier":                                          clusterID,
		cluster + "engine":                                                      "aurora-postgresql",
		cluster + "engine_mode":                                                 "provisioned",
		cluster + "engine_version":                                              "${local.engine_version}",
		cluster + "database_name":                                               "main",
		cluster + "master_username":                                             "dbadmin",
		cluster + "master_password_wo":                                          "${local.recorded_password}",
		cluster + "master_password_wo_version":                                  "${local.password_generation}",
		cluster + "apply_immediately":                                           e.applyImmediately,
		cluster + "allow_major_version_upgrade":                                 e.allowMajorUpgrade,
		cluster + "master_password":                                             absent,
		cluster + "manage_master_user_password":                                 absent,
		cluster + "enable_http_endpoint":                                        true,
		cluster + "serverlessv2_scaling_configuration.min_capacity":             e.minCapacity,
		cluster + "serverlessv2_scaling_configuration.max_capacity":             e.maxCapacity,
		cluster + "serverlessv2_scaling_configuration.seconds_until_auto_pause": e.autoPause,
		cluster + "storage_encrypted":                                           true,
		cluster + "kms_key_id":                                                  e.kmsKey,
		cluster + "iam_database_authentication_enabled":                         e.iamAuth,
		cluster + "db_cluster_parameter_group_name":                             "${aws_rds_cluster_parameter_group.parameters.name}",
		cluster + "copy_tags_to_snapshot":                                       true,
		cluster + "backup_retention_period":                                     e.backupDays,
		cluster + "storage_type":                                                e.storageType,
		cluster + "preferred_backup_window":                                     e.backupWindow,
		cluster + "preferred_maintenance_window":                                e.maintenanceWindow,
		cluster + "deletion_protection":                                         e.deletionProtection,
		cluster + "lifecycle.prevent_destroy":                                   e.preventDestroy,
		cluster + "lifecycle.replace_triggered_by":                              []any{"terraform_data.encryption"},
		cluster + "skip_final_snapshot":                                         e.finalSnapshotID == absent,
		cluster + "final_snapshot_identifier":                                   e.finalSnapshotID,
		cluster + "delete_automated_backups":                                    e.deleteAutomatedBackups,
		cluster + "enabled_cloudwatch_logs_exports":                             e.logExports,
		cluster + "tags":                                                        map[string]any{"Name": clusterID},
		cluster + "port":                                                        5432.0,
		cluster + "vpc_security_group_ids":                                      []any{"${aws_security_group.database.id}"},
		cluster + "db_subnet_group_name":                                        e.subnetGroup,

		// The writer: Serverless v2 has no capacity without an instance.
		writer + "identifier":                            "main-movies-" + e.stage + "-writer",
		writer + "cluster_identifier":                    "${aws_rds_cluster.cluster.id}",
		writer + "instance_class":                        "db.serverless",
		writer + "engine":                                "${aws_rds_cluster.cluster.engine}",
		writer + "engine_version":                        absent,
		writer + "publicly_accessible":                   false,
		writer + "auto_minor_version_upgrade":            e.autoMinorUpgrade,
		writer + "performance_insights_enabled":          e.performanceInsights,
		writer + "performance_insights_retention_period": e.piRetentionDays,
		writer + "performance_insights_kms_key_id":       piKey,
		writer + "monitoring_interval":                   e.monitoringInterval,
		writer + "preferred_maintenance_window":          e.maintenanceWindow,
		// Never pinned to a zone, nor given a tier: the writer of a
		// deployed stage stays as it is.
		writer + "availability_zone": absent,
		writer + "promotion_tier":    absent,

		"resource.aws_ssm_parameter.reader_endpoint.name":  "movies-" + e.stage + "-reader-endpoint",
		"resource.aws_ssm_parameter.reader_endpoint.type":  "String",
		"resource.aws_ssm_parameter.reader_endpoint.value": "${aws_rds_cluster.cluster.reader_endpoint}",
		"output.cluster_reader_endpoint.value":             "${aws_rds_cluster.cluster.reader_endpoint}",
		"output.reader_endpoint_parameter.value":           "${aws_ssm_parameter.reader_endpoint.name}",
		writer + "monitoring_role_arn":                     monitoringRole,
		writer + "apply_immediately":                       e.applyImmediately,
		writer + "lifecycle":                               absent,

		// The engine version: the setting, or a later minor version the
		// deployed cluster already runs.
		"data.aws_rds_clusters.existing_cluster.filter":            []any{map[string]any{"name": "db-cluster-id", "values": []any{clusterID}}},
		"data.aws_rds_cluster.deployed_cluster.cluster_identifier": clusterID,
		"data.aws_rds_cluster.deployed_cluster.count":              "${length(tolist(data.aws_rds_clusters.existing_cluster.cluster_identifiers))}",
		"locals.deployed_engine_version":                           `${try(data.aws_rds_cluster.deployed_cluster[0].engine_version, "")}`,
		"locals.engine_version":                                    `${try(split(".", local.deployed_engine_version)[0], "") == "16" && try(tonumber(split(".", local.deployed_engine_version)[1]), 0) > 6 ? local.deployed_engine_version : "16.6"}`,

		// The parameter group with the logging settings.
		parameters + "name":      "movies-" + e.stage + "-aurora-postgresql16",
		parameters + "family":    "aurora-postgresql16",
		parameters + "lifecycle": map[string]any{"create_before_destroy": true},
		parameters + "parameter": []any{
			map[string]any{"name": "log_statement", "value": e.logStatement, "apply_method": "immediate"},
			map[string]any{"name": "log_min_duration_statement", "value": e.logMinDurationMs, "apply_method": "immediate"},
		},

		// The SSM parameters that publish the ARNs.
		credentialsParam + "name":  "movies-" + e.stage + "-credentials-arn",
		credentialsParam + "type":  "String",
		credentialsParam + "value": "${aws_secretsmanager_secret.credentials.arn}",
		resourceParam + "name":     "movies-" + e.stage + "-resource-arn",
		resourceParam + "type":     "String",
		resourceParam + "value":    "${aws_rds_cluster.cluster.arn}",

		// Outputs.
		"output.cluster_arn.value":                        "${aws_rds_cluster.cluster.arn}",
		"output.cluster_endpoint.value":                   "${aws_rds_cluster.cluster.endpoint}",
		"output.secret_arn.value":                         "${aws_secretsmanager_secret.credentials.arn}",
		"output.credentials_arn_parameter.value":          "${aws_ssm_parameter.credentials_arn.name}",
		"output.resource_arn_parameter.value":             "${aws_ssm_parameter.resource_arn.name}",
		"output.kms_key_arn.value":                        e.kmsKey,
		"output.security_group_id.value":                  "${aws_security_group.database.id}",
		"output.security_group_id_parameter.value":        "${aws_ssm_parameter.security_group.name}",
		"output.db_subnet_group_name.value":               "${aws_rds_cluster.cluster.db_subnet_group_name}",
		"resource.aws_ssm_parameter.security_group.name":  "movies-" + e.stage + "-security-group-id",
		"resource.aws_ssm_parameter.security_group.type":  "String",
		"resource.aws_ssm_parameter.security_group.value": "${aws_security_group.database.id}",
	}
}

// The key the stack creates is held by both AWS and Terraform like the
// cluster: deleting it would make every snapshot unreadable.
func TestCreatedKMSKeyIsRotatedAndKept(t *testing.T) {
	key := "resource.aws_kms_key.key."
	expectValues(t, "production", stackJSON(t, "production"), map[string]any{
		key + "enable_key_rotation":                      true,
		key + "deletion_window_in_days":                  30.0,
		key + "policy":                                   "${data.aws_iam_policy_document.key_policy.json}",
		key + "lifecycle.prevent_destroy":                true,
		"resource.aws_kms_alias.key_alias.name":          "alias/movies-production-database",
		"resource.aws_kms_alias.key_alias.target_key_id": "${aws_kms_key.key.key_id}",
		"data.aws_iam_policy_document.key_policy.statement": []any{map[string]any{
			"sid":        "AccountAdministersKeyThroughIAM",
			"effect":     "Allow",
			"actions":    []any{"kms:*"},
			"resources":  []any{"*"},
			"principals": []any{map[string]any{"type": "AWS", "identifiers": []any{"arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.account.account_id}:root"}}},
		}},
	})
}

// Enhanced Monitoring publishes through a role only RDS's monitoring
// service can assume, with AWS's managed policy for it.
func TestMonitoringRoleTrustsOnlyRDSMonitoring(t *testing.T) {
	for _, stage := range []string{"production", "staging"} {
		expectValues(t, stage, stackJSON(t, stage), map[string]any{
			"resource.aws_iam_role.monitoring.name":                                "movies-" + stage + "-rds-monitoring",
			"resource.aws_iam_role.monitoring.assume_role_policy":                  "${data.aws_iam_policy_document.monitoring_trust.json}",
			"resource.aws_iam_role_policy_attachment.monitoring_policy.role":       "${aws_iam_role.monitoring.name}",
			"resource.aws_iam_role_policy_attachment.monitoring_policy.policy_arn": "arn:${data.aws_partition.partition.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
			"data.aws_iam_policy_document.monitoring_trust.statement": []any{map[string]any{
				"effect":     "Allow",
				"actions":    []any{"sts:AssumeRole"},
				"principals": []any{map[string]any{"type": "Service", "identifiers": []any{"monitoring.rds.amazonaws.com"}}},
			}},
		})
	}
}

func TestStackValuesPerStage(t *testing.T) {
	for _, e := range stageExpectations {
		t.Run(e.stage, func(t *testing.T) {
			// GIVEN the test configuration, WHEN the stage is synthesized,
			// THEN every value is the one its profile and entry ask for.
			expectValues(t, e.stage, stackJSON(t, e.stage), expectedValues(e))
		})
	}
}

// Construct IDs become Terraform addresses: renaming one makes Terraform
// destroy and recreate the resource, the database included. This pins them.
func TestResourceAddressesAreStable(t *testing.T) {
	base := []string{
		"aws_rds_cluster.cluster",
		"aws_rds_cluster_parameter_group.parameters",
		"aws_rds_cluster_instance.writer",
		"aws_secretsmanager_secret.credentials",
		"aws_secretsmanager_secret_version.credentials_value",
		"aws_secretsmanager_secret_version.master_password",
		"data.aws_rds_cluster.deployed_cluster",
		"data.aws_rds_clusters.existing_cluster",
		"ephemeral.aws_secretsmanager_secret_version.master_password",
		"aws_ssm_parameter.credentials_arn",
		"aws_ssm_parameter.resource_arn",
		"aws_ssm_parameter.reader_endpoint",
		"aws_ssm_parameter.security_group",
		"aws_security_group.database",
		"ephemeral.aws_secretsmanager_random_password.master_password",
		"local.deployed_engine_version",
		"local.engine_version",
		"local.generated_password",
		"local.password_generation",
		"local.recorded_password",
		"output.cluster_arn",
		"output.cluster_endpoint",
		"output.cluster_reader_endpoint",
		"output.reader_endpoint_parameter",
		"output.credentials_arn_parameter",
		"output.resource_arn_parameter",
		"output.secret_arn",
		"output.security_group_id",
		"output.security_group_id_parameter",
		"output.db_subnet_group_name",
		"output.access_policy_arn",
		"aws_iam_policy.access",
		"data.aws_iam_policy_document.access_policy",
		// The access policy names the cluster by the ARN AWS builds.
		"data.aws_caller_identity.account",
		"data.aws_partition.partition",
		"terraform_data.encryption",
	}
	key := []string{"aws_kms_alias.key_alias", "aws_kms_key.key", "data.aws_caller_identity.account", "data.aws_iam_policy_document.key_policy", "data.aws_partition.partition", "output.kms_key_arn"}
	monitoring := []string{"aws_iam_role.monitoring", "aws_iam_role_policy_attachment.monitoring_policy", "data.aws_iam_policy_document.monitoring_trust", "data.aws_partition.partition"}
	defaultVPC := []string{"data.aws_vpcs.default_vpc"}
	stagingNetwork := []string{"aws_db_subnet_group.subnets", "aws_vpc_security_group_ingress_rule.ingress_from_sg_0a1b2c3d4e5f60718",
		"aws_vpc_security_group_ingress_rule.ingress_from_10_20_0_0_16", "aws_vpc_security_group_ingress_rule.ingress_from_2001_db8___32"}
	wantPerStage := map[string][]string{
		"dev":        slices.Concat(base, defaultVPC),
		"load":       base,
		"production": slices.Concat(base, key, monitoring, defaultVPC, []string{"aws_rds_cluster_instance.reader_1"}),
		"staging": slices.Concat(base, monitoring, stagingNetwork, []string{"output.kms_key_arn",
			"aws_rds_cluster_instance.reader_1", "aws_rds_cluster_instance.reader_2", "data.aws_subnet.subnet_1", "data.aws_subnet.subnet_2",
			"aws_cloudwatch_metric_alarm.capacity_at_ceiling", "aws_cloudwatch_metric_alarm.cpu_high_writer", "aws_cloudwatch_metric_alarm.cpu_high_reader_1",
			"aws_cloudwatch_metric_alarm.cpu_high_reader_2", "aws_db_event_subscription.failover_events",
			"aws_iam_role_policy_attachment.consumer_movies_api", "aws_iam_role_policy_attachment.consumer_movies_worker_batch"}),
	}
	for _, stage := range testStages {
		want := slices.Compact(slices.Sorted(slices.Values(wantPerStage[stage])))
		doc := stackJSON(t, stage)
		var got []string
		for _, block := range []string{"resource", "ephemeral", "data"} {
			types, _ := doc[block].(map[string]any)
			for typ, instances := range types {
				for name := range instances.(map[string]any) {
					address := typ + "." + name
					if block != "resource" {
						address = block + "." + address
					}
					got = append(got, address)
				}
			}
		}
		for _, block := range []struct{ key, prefix string }{{"locals", "local."}, {"output", "output."}} {
			entries, _ := doc[block.key].(map[string]any)
			for name := range entries {
				got = append(got, block.prefix+name)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("stage %s: addresses\n got %q\nwant %q", stage, got, want)
		}
	}
}

// The stack ID is the stage name, which is what `cdktf deploy <stage>` and
// `cdktf diff <stage>` look up in the manifest; the state bucket's stack is
// `bootstrap`.
func TestManifestListsOneStackPerStage(t *testing.T) {
	var manifest struct {
		Stacks map[string]struct {
			Name                 string `json:"name"`
			SynthesizedStackPath string `json:"synthesizedStackPath"`
		} `json:"stacks"`
	}
	readJSON(t, synthesized(t)+"/manifest.json", &manifest)
	if got := slices.Sorted(maps.Keys(manifest.Stacks)); !slices.Equal(got, slices.Sorted(slices.Values(testStacks))) {
		t.Fatalf("manifest stacks = %q, want %q", got, testStacks)
	}
	for id, stack := range manifest.Stacks {
		if stack.Name != id || stack.SynthesizedStackPath != "stacks/"+id+"/cdk.tf.json" {
			t.Errorf("manifest stack %s: name %q, path %q; want name %q, path stacks/%s/cdk.tf.json", id, stack.Name, stack.SynthesizedStackPath, id, id)
		}
	}
}

// Each stage's network: its own security group, in the default VPC (dev,
// production) or the stage's (staging, load), letting in only the allowed
// sources on the database's port, with no egress; the stage's own subnet
// group over its subnets (staging) or an existing one (load).
func TestNetworkPerStage(t *testing.T) {
	group := "resource.aws_security_group.database."
	rule := func(name string) string { return "resource.aws_vpc_security_group_ingress_rule." + name + "." }
	defaultVPC := map[string]any{
		group + "vpc_id": "${one(data.aws_vpcs.default_vpc.ids)}",
		group + "lifecycle.precondition": []any{map[string]any{
			"condition":     "${length(data.aws_vpcs.default_vpc.ids) == 1}",
			"error_message": "stage STAGE has no vpcId and the account has no default VPC in eu-west-1: set vpcId and subnetIds (or subnetGroupName) in the stage's entry in cdktf.json",
		}},
		"data.aws_vpcs.default_vpc.filter":             []any{map[string]any{"name": "is-default", "values": []any{"true"}}},
		"resource.aws_db_subnet_group":                 absent,
		"resource.aws_vpc_security_group_ingress_rule": absent,
	}
	cases := map[string]map[string]any{
		"dev":        defaultVPC,
		"production": defaultVPC,
		"staging": {
			group + "vpc_id":    "vpc-0a1b2c3d4e5f60718",
			group + "lifecycle": absent,
			"data.aws_vpcs":     absent,
			"resource.aws_db_subnet_group.subnets.name":                                "movies-staging",
			"resource.aws_db_subnet_group.subnets.subnet_ids":                          []any{"subnet-0a1b2c3d4e5f60718", "subnet-1a2b3c4d"},
			rule("ingress_from_sg_0a1b2c3d4e5f60718") + "referenced_security_group_id": "sg-0a1b2c3d4e5f60718",
			rule("ingress_from_sg_0a1b2c3d4e5f60718") + "cidr_ipv4":                    absent,
			rule("ingress_from_sg_0a1b2c3d4e5f60718") + "description":                  "PostgreSQL from security group sg-0a1b2c3d4e5f60718 to main-movies-staging-cluster",
			rule("ingress_from_10_20_0_0_16") + "cidr_ipv4":                            "10.20.0.0/16",
			rule("ingress_from_10_20_0_0_16") + "description":                          "PostgreSQL from 10.20.0.0/16 to main-movies-staging-cluster",
			rule("ingress_from_2001_db8___32") + "cidr_ipv6":                           "2001:db8::/32",
			rule("ingress_from_2001_db8___32") + "cidr_ipv4":                           absent,
		},
		"load": {
			group + "vpc_id":                               "vpc-1a2b3c4d",
			"data.aws_vpcs":                                absent,
			"resource.aws_db_subnet_group":                 absent,
			"resource.aws_vpc_security_group_ingress_rule": absent,
		},
	}
	for stage, want := range cases {
		t.Run(stage, func(t *testing.T) {
			doc := stackJSON(t, stage)
			values := map[string]any{
				group + "name":        "movies-" + stage + "-database",
				group + "description": "Aurora PostgreSQL cluster main-movies-" + stage + "-cluster: the allowed sources on its port, nothing out",
				group + "ingress":     absent,
				group + "egress":      absent,
				"resource.aws_vpc_security_group_egress_rule": absent,
			}
			for path, value := range want {
				if text, ok := value.(string); ok {
					value = strings.ReplaceAll(text, "STAGE", stage)
				}
				if list, ok := value.([]any); ok && strings.HasSuffix(path, "precondition") {
					condition := list[0].(map[string]any)
					value = []any{map[string]any{"condition": condition["condition"], "error_message": strings.ReplaceAll(condition["error_message"].(string), "STAGE", stage)}}
				}
				values[path] = value
			}
			rules, _ := doc["resource"].(map[string]any)["aws_vpc_security_group_ingress_rule"].(map[string]any)
			for name := range rules {
				// Every rule: TCP on the cluster's port, on the stage's group.
				values[rule(name)+"ip_protocol"] = "tcp"
				values[rule(name)+"from_port"] = 5432.0
				values[rule(name)+"to_port"] = 5432.0
				values[rule(name)+"security_group_id"] = "${aws_security_group.database.id}"
			}
			expectValues(t, stage, doc, values)
		})
	}
}

// The consumers' policy, statement by statement: the stage's parameters,
// the Data API on the cluster, the secret, and the stage's own key only
// through Secrets Manager. Attached to each consumer role.
func TestAccessPolicyPerStage(t *testing.T) {
	parameters := map[string]any{
		"sid": "ReadTheStageParameters", "actions": []any{"ssm:GetParameter", "ssm:GetParameters"},
		"resources": []any{"${aws_ssm_parameter.credentials_arn.arn}", "${aws_ssm_parameter.resource_arn.arn}", "${aws_ssm_parameter.reader_endpoint.arn}", "${aws_ssm_parameter.security_group.arn}"},
	}
	// The cluster's ARN as AWS builds it, not the cluster's attribute: a
	// policy document that refers to the cluster is read only at apply
	// whenever the cluster has a change, and the policy is planned anew.
	dataAPI := func(stage, region string) map[string]any {
		return map[string]any{
			"sid":       "QueryThroughTheDataAPI",
			"actions":   []any{"rds-data:ExecuteStatement", "rds-data:BatchExecuteStatement", "rds-data:BeginTransaction", "rds-data:CommitTransaction", "rds-data:RollbackTransaction"},
			"resources": []any{"arn:${data.aws_partition.partition.partition}:rds:" + region + ":${data.aws_caller_identity.account.account_id}:cluster:main-movies-" + stage + "-cluster"},
		}
	}
	credentials := map[string]any{
		"sid": "ReadTheCredentials", "actions": []any{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
		"resources": []any{"${aws_secretsmanager_secret.credentials.arn}"},
	}
	decrypt := func(key string) map[string]any {
		return map[string]any{
			"sid": "DecryptTheCredentialsThroughSecretsManager", "actions": []any{"kms:Decrypt"}, "resources": []any{key},
			"condition": []any{map[string]any{"test": "StringEquals", "variable": "kms:ViaService", "values": []any{"secretsmanager.eu-west-1.amazonaws.com"}}},
		}
	}
	cases := map[string]struct {
		statements  []any
		attachments map[string]string // attachment name -> role
	}{
		"dev":        {[]any{parameters, dataAPI("dev", "eu-west-1"), credentials}, nil},
		"load":       {[]any{parameters, dataAPI("load", "eu-central-1"), credentials}, nil},
		"production": {[]any{parameters, dataAPI("production", "eu-west-1"), credentials, decrypt(createdKey)}, nil},
		"staging": {[]any{parameters, dataAPI("staging", "eu-west-1"), credentials, decrypt(existingKey)}, map[string]string{
			"consumer_movies_api": "movies-api", "consumer_movies_worker_batch": "movies.worker@batch",
		}},
	}
	for stage, c := range cases {
		t.Run(stage, func(t *testing.T) {
			doc := stackJSON(t, stage)
			// GIVEN the stage WHEN synthesized THEN the policy is exactly this.
			want := map[string]any{
				"data.aws_iam_policy_document.access_policy.statement": c.statements,
				"resource.aws_iam_policy.access.name":                  "movies-" + stage + "-database-access",
				"resource.aws_iam_policy.access.policy":                "${data.aws_iam_policy_document.access_policy.json}",
				"output.access_policy_arn.value":                       "${aws_iam_policy.access.arn}",
			}
			for name, role := range c.attachments {
				want["resource.aws_iam_role_policy_attachment."+name+".role"] = role
				want["resource.aws_iam_role_policy_attachment."+name+".policy_arn"] = "${aws_iam_policy.access.arn}"
			}
			expectValues(t, stage, doc, want)
			attachments, _ := doc["resource"].(map[string]any)["aws_iam_role_policy_attachment"].(map[string]any)
			var consumers []string
			for name := range attachments {
				if strings.HasPrefix(name, "consumer_") {
					consumers = append(consumers, name)
				}
			}
			if got, wantNames := slices.Sorted(slices.Values(consumers)), slices.Sorted(maps.Keys(c.attachments)); !slices.Equal(got, wantNames) {
				t.Errorf("consumer attachments %q, want %q", got, wantNames)
			}
		})
	}
}

// The readers: as many as the stage asks for, each with the writer's
// settings, in the promotion tier that scales with the writer, and, where
// the stage names its subnets, in one of their zones other than the
// writer's.
func TestReadersPerStage(t *testing.T) {
	sameAsWriter := []string{"cluster_identifier", "instance_class", "engine", "engine_version", "publicly_accessible",
		"auto_minor_version_upgrade", "performance_insights_enabled", "performance_insights_retention_period",
		"performance_insights_kms_key_id", "monitoring_interval", "monitoring_role_arn", "preferred_maintenance_window",
		"apply_immediately", "lifecycle"}
	for _, e := range stageExpectations {
		doc := stackJSON(t, e.stage)
		instances := doc["resource"].(map[string]any)["aws_rds_cluster_instance"].(map[string]any)
		writer := instances["writer"].(map[string]any)
		if len(instances) != 1+e.readers {
			t.Errorf("stage %s: instances %q, want the writer and %d readers", e.stage, slices.Sorted(maps.Keys(instances)), e.readers)
		}
		for n := 1; n <= e.readers; n++ {
			name := "reader_" + itoa(int32(n))
			reader, ok := instances[name].(map[string]any)
			if !ok {
				t.Errorf("stage %s: no %s", e.stage, name)
				continue
			}
			for _, argument := range sameAsWriter {
				if !reflect.DeepEqual(reader[argument], writer[argument]) {
					t.Errorf("stage %s: %s.%s = %v, the writer's is %v", e.stage, name, argument, reader[argument], writer[argument])
				}
			}
			zone := any(absent)
			if e.stage == "staging" {
				zone = "${element(sort(setsubtract([data.aws_subnet.subnet_1.availability_zone, data.aws_subnet.subnet_2.availability_zone], " +
					"[aws_rds_cluster_instance.writer.availability_zone])), " + itoa(int32(n-1)) + ")}"
			}
			expectValues(t, e.stage, doc, map[string]any{
				"resource.aws_rds_cluster_instance." + name + ".identifier":        "main-movies-" + e.stage + "-reader-" + itoa(int32(n)),
				"resource.aws_rds_cluster_instance." + name + ".promotion_tier":    1.0,
				"resource.aws_rds_cluster_instance." + name + ".availability_zone": zone,
				"resource.aws_rds_cluster_instance." + name + ".tags":              map[string]any{"Name": "main-movies-" + e.stage + "-reader-" + itoa(int32(n))},
			})
		}
	}
	expectValues(t, "staging", stackJSON(t, "staging"), map[string]any{
		"data.aws_subnet.subnet_1.id": "subnet-0a1b2c3d4e5f60718",
		"data.aws_subnet.subnet_2.id": "subnet-1a2b3c4d",
	})
}

// A stage with an alarm topic: the capacity at the ceiling (90% of
// maxCapacity), each instance's CPU, both telling the topic when they
// fire and when they are OK, a paused database's silence never breaching;
// and the cluster's failover events sent to the topic. Without a topic, none.
func TestAlarmsPerStage(t *testing.T) {
	topic := []any{"arn:aws:sns:eu-west-1:111122223333:movies-alarms"}
	alarm := func(name, metric, statistic, operator string, threshold float64, dimensions map[string]any) map[string]any {
		return map[string]any{
			"alarm_name": name, "namespace": "AWS/RDS", "metric_name": metric, "statistic": statistic, "dimensions": dimensions,
			"period": 300.0, "evaluation_periods": 3.0, "datapoints_to_alarm": 3.0, "comparison_operator": operator, "threshold": threshold,
			"treat_missing_data": "notBreaching", "alarm_actions": topic, "ok_actions": topic,
		}
	}
	want := map[string]map[string]any{
		"capacity_at_ceiling": alarm("movies-staging-capacity-at-ceiling", "ServerlessDatabaseCapacity", "Maximum", "GreaterThanOrEqualToThreshold", 14.4,
			map[string]any{"DBClusterIdentifier": "${aws_rds_cluster.cluster.id}"}),
	}
	for id, identifier := range map[string]string{"writer": "main-movies-staging-writer", "reader_1": "main-movies-staging-reader-1", "reader_2": "main-movies-staging-reader-2"} {
		want["cpu_high_"+id] = alarm(identifier+"-cpu-high", "CPUUtilization", "Average", "GreaterThanThreshold", 90,
			map[string]any{"DBInstanceIdentifier": identifier})
	}
	alarms := stackJSON(t, "staging")["resource"].(map[string]any)["aws_cloudwatch_metric_alarm"].(map[string]any)
	if len(alarms) != len(want) {
		t.Errorf("staging alarms %q, want %q", slices.Sorted(maps.Keys(alarms)), slices.Sorted(maps.Keys(want)))
	}
	for id, values := range want {
		got, _ := alarms[id].(map[string]any)
		for argument, value := range values {
			if !reflect.DeepEqual(got[argument], value) {
				t.Errorf("alarm %s: %s = %v, want %v", id, argument, got[argument], value)
			}
		}
	}
	expectValues(t, "staging", stackJSON(t, "staging"), map[string]any{
		"resource.aws_db_event_subscription.failover_events.name":             "movies-staging-failover",
		"resource.aws_db_event_subscription.failover_events.sns_topic":        topic[0],
		"resource.aws_db_event_subscription.failover_events.source_type":      "db-cluster",
		"resource.aws_db_event_subscription.failover_events.source_ids":       []any{"${aws_rds_cluster.cluster.id}"},
		"resource.aws_db_event_subscription.failover_events.event_categories": []any{"failover"},
	})
	for _, stage := range []string{"dev", "production", "load"} {
		expectValues(t, stage, stackJSON(t, stage), map[string]any{
			"resource.aws_cloudwatch_metric_alarm": absent,
			"resource.aws_db_event_subscription":   absent,
		})
	}
}
