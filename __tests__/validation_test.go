package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"aurora-stages/settings"
)

// accountJSON is a valid set of account settings that the cases below
// combine with their own stages.
const accountJSON = `"service": "movies", "region": "us-east-1", "stateBucket": "movies-state"`

// problemsOf parses a context, resolves the named stages (all when none)
// and returns the problems reported, or nil when the configuration is valid.
func problemsOf(t *testing.T, context string, env map[string]string, only ...string) []string {
	t.Helper()
	parsed, err := settings.ParseContext([]byte(context), envOf(env))
	if err == nil {
		_, err = parsed.Resolve(only)
	}
	return problemsIn(t, err)
}

// problemsIn is the problems a ConfigError lists, nil for no error.
func problemsIn(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var configErr *settings.ConfigError
	if !errors.As(err, &configErr) {
		t.Fatalf("error is a %T, want *settings.ConfigError: %v", err, err)
	}
	return configErr.Problems
}

func withStages(stages string) string {
	return `{` + accountJSON + `, "stages": ` + stages + `}`
}

func TestEveryValidationRuleNamesStageFieldValueAndRule(t *testing.T) {
	longService := strings.Repeat("s", 50)
	cases := []struct {
		name    string
		context string
		env     map[string]string
		only    []string
		want    string
	}{
		// Readers and storage.
		// Database Insights.
		{"an unknown Database Insights mode", withStages(`{"dev": {"databaseInsightsMode": "full"}}`), nil, nil,
			`stage "dev": databaseInsightsMode = "full": must be standard or advanced`},
		{"advanced without its retention", withStages(`{"dev": {"databaseInsightsMode": "advanced"}}`), nil, nil,
			`stage "dev": databaseInsightsMode = "advanced": advanced needs Performance Insights on with at least 465 days of retention (now performanceInsights true, performanceInsightsRetentionDays 7): set "performanceInsights": true and "performanceInsightsRetentionDays": 465 (or more, a multiple of 31), or use standard`},
		{"advanced without Performance Insights", withStages(`{"dev": {"databaseInsightsMode": "advanced", "performanceInsights": false, "performanceInsightsRetentionDays": 465}}`), nil, nil,
			`stage "dev": databaseInsightsMode = "advanced": advanced needs Performance Insights on with at least 465 days of retention (now performanceInsights false, performanceInsightsRetentionDays 465): set "performanceInsights": true and "performanceInsightsRetentionDays": 465 (or more, a multiple of 31), or use standard`},
		{"too many readers", withStages(`{"dev": {"readers": 16}}`), nil, nil,
			`stage "dev": readers = 16: must be a whole number from 0 to 15`},
		{"negative readers", withStages(`{"production": {"readers": -1}}`), nil, nil,
			`stage "production": readers = -1: must be a whole number from 0 to 15`},
		{"reader identifier too long", `{"service": "` + strings.Repeat("s", 45) + `", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"dev": {"readers": 10}}}`, nil, nil,
			`stage "dev": reader identifier (derived from service and stage) = "main-` + strings.Repeat("s", 45) + `-dev-reader-10": is 64 characters: must be at most 63`},
		{"unknown storage type", withStages(`{"dev": {"storageType": "gp3"}}`), nil, nil,
			`stage "dev": storageType = "gp3": must be aurora (Standard) or aurora-iopt1 (I/O-Optimized)`},
		// Tags.
		{"a tag key the stack sets", withStages(`{"dev": {"tags": {"stage": "qa", "owner": "platform"}}}`), nil, nil,
			`stage "dev": tags = {"owner":"platform","stage":"qa"}: key "stage" is the stack's own: it sets service, stage, managed-by, Name itself`},
		{"a tag key of AWS's", withStages(`{"dev": {"tags": {"AWS:owner": "platform"}}}`), nil, nil,
			`stage "dev": tags = {"AWS:owner":"platform"}: key "AWS:owner" starts with aws:, which AWS reserves`},
		{"a tag key too long", withStages(`{"dev": {"tags": {"` + strings.Repeat("k", 129) + `": "v"}}}`), nil, nil,
			`stage "dev": tags = {"` + strings.Repeat("k", 129) + `":"v"}: key "` + strings.Repeat("k", 129) + `" must be 1 to 128 letters, digits, spaces and _.:/=+-@`},
		{"a tag value with a character AWS refuses", withStages(`{"dev": {"tags": {"owner": "platform;team"}}}`), nil, nil,
			`stage "dev": tags = {"owner":"platform;team"}: the value of "owner" must be up to 256 letters, digits, spaces and _.:/=+-@`},
		{"tags not a map of strings", withStages(`{"dev": {"tags": {"owner": 5}}}`), nil, nil,
			`stage "dev": tags = {"owner": 5}: must be a map of strings`},
		{"too many tags with the account's", `{` + accountJSON + `, "tags": ` + manyTags("team", 40) + `, "stages": {"dev": {"tags": ` + manyTags("stage", 7) + `}}}`, nil, nil,
			`stage "dev": tags = ` + compactJSON(manyTags("stage", 7)) + `: with the account's tags makes 51 on a resource, the stack's own included: AWS allows 50, so at most 46 of the team's`},
		{"an account tag of AWS's", `{` + accountJSON + `, "tags": {"aws:cost": "x"}, "stages": {"dev": {}}}`, nil, nil,
			`all stacks (bootstrap, dev): tags = {"aws:cost":"x"} (from cdktf.json context.tags): key "aws:cost" starts with aws:, which AWS reserves`},
		{"account tags not an object", `{` + accountJSON + `, "tags": ["owner"], "stages": {"dev": {}}}`, nil, nil,
			`context.tags = ["owner"]: must be an object of tag keys to string values, e.g. {"owner": "platform"}`},
		// Alarms.
		{"alarm topic not an SNS topic ARN", withStages(`{"dev": {"alarmTopicArn": "movies-alarms"}}`), nil, nil,
			`stage "dev": alarmTopicArn = "movies-alarms": must be a standard SNS topic's ARN, arn:aws:sns:<region>:<account>:<name> (CloudWatch alarms cannot tell a FIFO topic), or empty for no alarms`},
		{"alarm topic a FIFO topic", withStages(`{"dev": {"alarmTopicArn": "arn:aws:sns:us-east-1:111122223333:alarms.fifo"}}`), nil, nil,
			`stage "dev": alarmTopicArn = "arn:aws:sns:us-east-1:111122223333:alarms.fifo": must be a standard SNS topic's ARN, arn:aws:sns:<region>:<account>:<name> (CloudWatch alarms cannot tell a FIFO topic), or empty for no alarms`},
		{"alarm topic in another region", `{` + accountJSON + `, "alarmTopicArn": "arn:aws:sns:eu-west-1:111122223333:alarms", "stages": {"dev": {}}}`, nil, nil,
			`stage "dev": alarmTopicArn = "arn:aws:sns:eu-west-1:111122223333:alarms": must be a topic in the stage's region us-east-1: CloudWatch alarms tell only topics of their own region`},
		{"alarm topic of another account", withStages(`{"production": {"accountId": "444455556666", "alarmTopicArn": "arn:aws:sns:us-east-1:111122223333:alarms"}}`), nil, nil,
			`stage "production": alarmTopicArn = "arn:aws:sns:us-east-1:111122223333:alarms": must be a topic of the stage's account 444455556666 (accountId)`},
		// Windows.
		{"backup window without leading zeros", withStages(`{"dev": {"backupWindow": "3:00-4:00"}}`), nil, nil,
			`stage "dev": backupWindow = "3:00-4:00": must be hh24:mi-hh24:mi in UTC (as "03:00-04:00"), at least 30 minutes, or empty to let AWS choose`},
		{"backup window under 30 minutes", withStages(`{"dev": {"backupWindow": "23:50-00:15"}}`), nil, nil,
			`stage "dev": backupWindow = "23:50-00:15": must be hh24:mi-hh24:mi in UTC (as "03:00-04:00"), at least 30 minutes, or empty to let AWS choose`},
		{"maintenance window without days", withStages(`{"dev": {"maintenanceWindow": "04:30-05:30"}}`), nil, nil,
			`stage "dev": maintenanceWindow = "04:30-05:30": must be ddd:hh24:mi-ddd:hh24:mi in UTC, days mon to sun (as "sun:04:30-sun:05:30"), at least 30 minutes, or empty to let AWS choose`},
		{"maintenance window under 30 minutes", withStages(`{"production": {"maintenanceWindow": "sun:23:50-mon:00:10"}}`), nil, nil,
			`stage "production": maintenanceWindow = "sun:23:50-mon:00:10": must be ddd:hh24:mi-ddd:hh24:mi in UTC, days mon to sun (as "sun:04:30-sun:05:30"), at least 30 minutes, or empty to let AWS choose`},
		{"backup window inside the maintenance window", withStages(`{"production": {"backupWindow": "05:00-06:00"}}`), nil, nil,
			`stage "production": backupWindow = "05:00-06:00": must not overlap maintenanceWindow (sun:04:30-sun:05:30): AWS refuses the two at the same time`},
		{"windows overlapping across midnight and the week's end", withStages(`{"dev": {"backupWindow": "23:45-00:30", "maintenanceWindow": "mon:00:15-mon:01:00"}}`), nil, nil,
			`stage "dev": backupWindow = "23:45-00:30": must not overlap maintenanceWindow (mon:00:15-mon:01:00): AWS refuses the two at the same time`},
		// Capacity and pausing.
		{"negative minimum", withStages(`{"dev": {"minCapacity": -1}}`), nil, nil,
			`stage "dev": minCapacity = -1: must be 0 to 256 ACU in steps of 0.5`},
		{"minimum off the half step", withStages(`{"dev": {"minCapacity": 0.3, "autoPauseSeconds": 0}}`), nil, nil,
			`stage "dev": minCapacity = 0.3: must be 0 to 256 ACU in steps of 0.5`},
		{"maximum above the ceiling", withStages(`{"dev": {"maxCapacity": 300}}`), nil, nil,
			`stage "dev": maxCapacity = 300: must be 1 to 256 ACU in steps of 0.5`},
		{"maximum below 1 ACU", withStages(`{"dev": {"maxCapacity": 0.5}}`), nil, nil,
			`stage "dev": maxCapacity = 0.5: must be 1 to 256 ACU in steps of 0.5`},
		{"maximum off the half step", withStages(`{"dev": {"maxCapacity": 4.25}}`), nil, nil,
			`stage "dev": maxCapacity = 4.25: must be 1 to 256 ACU in steps of 0.5`},
		{"minimum above maximum", withStages(`{"dev": {"minCapacity": 8, "maxCapacity": 4, "autoPauseSeconds": 0}}`), nil, nil,
			`stage "dev": minCapacity = 8: must not exceed maxCapacity (4)`},
		{"pause too soon", withStages(`{"dev": {"autoPauseSeconds": 299}}`), nil, nil,
			`stage "dev": autoPauseSeconds = 299: must be 300 to 86400 seconds when minCapacity is 0`},
		{"pause too late", withStages(`{"dev": {"autoPauseSeconds": 86401}}`), nil, nil,
			`stage "dev": autoPauseSeconds = 86401: must be 300 to 86400 seconds when minCapacity is 0`},
		{"pause without scaling to zero", withStages(`{"dev": {"minCapacity": 0.5}}`), nil, nil,
			`stage "dev": autoPauseSeconds = 3600: must be 0 when minCapacity is above 0 (0.5): only a database that scales to 0 ACU pauses`},

		// Backups, snapshots, logs, secret.
		{"no backups", withStages(`{"dev": {"backupRetentionDays": 0}}`), nil, nil,
			`stage "dev": backupRetentionDays = 0: must be 1 to 35 days`},
		{"backups too long", withStages(`{"production": {"backupRetentionDays": 36}}`), nil, nil,
			`stage "production": backupRetentionDays = 36: must be 1 to 35 days`},
		{"bad final snapshot name", withStages(`{"production": {"finalSnapshotIdentifier": "Final_Snapshot"}}`), nil, nil,
			`stage "production": final snapshot identifier = "Final_Snapshot": must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen`},
		{"unknown log type", withStages(`{"production": {"logExports": ["audit"]}}`), nil, nil,
			`stage "production": logExports = ["audit"]: each entry must be one of postgresql, iam-db-auth-error, at most once`},
		{"repeated log type", withStages(`{"production": {"logExports": ["postgresql", "postgresql"]}}`), nil, nil,
			`stage "production": logExports = ["postgresql","postgresql"]: each entry must be one of postgresql, iam-db-auth-error, at most once`},
		{"recovery window too short", withStages(`{"dev": {"secretRecoveryWindowDays": 5}}`), nil, nil,
			`stage "dev": secretRecoveryWindowDays = 5: must be 0 (delete at once) or 7 to 30 days`},
		{"recovery window too long", withStages(`{"dev": {"secretRecoveryWindowDays": 31}}`), nil, nil,
			`stage "dev": secretRecoveryWindowDays = 31: must be 0 (delete at once) or 7 to 30 days`},
		{"credentials version zero", withStages(`{"dev": {"credentialsVersion": 0}}`), nil, nil,
			`stage "dev": credentialsVersion = 0: must be a whole number of at least 1; raise it by one to rotate the master password`},

		// Engine version.
		{"version without minor", withStages(`{"dev": {"engineVersion": "16"}}`), nil, nil,
			`stage "dev": engineVersion = "16": must be an Aurora PostgreSQL version MAJOR.MINOR with the Data API on Serverless v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, for minCapacity 0, scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+)`},
		{"major without the Data API", withStages(`{"dev": {"engineVersion": "12.22"}}`), nil, nil,
			`stage "dev": engineVersion = "12.22": must be an Aurora PostgreSQL version MAJOR.MINOR with the Data API on Serverless v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, for minCapacity 0, scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+)`},
		{"minor without the Data API", withStages(`{"dev": {"engineVersion": "15.2", "minCapacity": 0.5, "autoPauseSeconds": 0}}`), nil, nil,
			`stage "dev": engineVersion = "15.2": must be an Aurora PostgreSQL version MAJOR.MINOR with the Data API on Serverless v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, for minCapacity 0, scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+)`},
		{"minor without scaling to zero", withStages(`{"dev": {"engineVersion": "16.2"}}`), nil, nil,
			`stage "dev": engineVersion = "16.2": must be an Aurora PostgreSQL version MAJOR.MINOR with the Data API on Serverless v2 (13.11+, 14.8+, 15.3+, 16.1+, 17.4+) and, for minCapacity 0, scaling to zero (13.15+, 14.12+, 15.7+, 16.3+, 17.4+)`},

		// Database and user names.
		{"seed's master username", withStages(`{"dev": {"masterUsername": "movies-database"}}`), nil, nil,
			`stage "dev": masterUsername = "movies-database": must be 1 to 63 letters, digits or underscores, starting with a letter`},
		{"reserved master username", withStages(`{"dev": {"masterUsername": "admin"}}`), nil, nil,
			`stage "dev": masterUsername = "admin": is reserved by PostgreSQL or RDS; reserved: admin, public, rdsadmin, rdsrepladmin, rdstopmgr, rds_superuser, rds_replication, rds_password, rds_iam, rds_ad`},
		{"empty master username", withStages(`{"dev": {"masterUsername": ""}}`), nil, nil,
			`stage "dev": masterUsername = "": must be 1 to 63 letters, digits or underscores, starting with a letter`},
		{"database name with a digit first", withStages(`{"dev": {"databaseName": "1movies"}}`), nil, nil,
			`stage "dev": databaseName = "1movies": must be 1 to 63 letters, digits or underscores, starting with a letter`},
		{"database name too long", withStages(`{"dev": {"databaseName": "` + strings.Repeat("d", 64) + `"}}`), nil, nil,
			`stage "dev": databaseName = "` + strings.Repeat("d", 64) + `": must be 1 to 63 letters, digits or underscores, starting with a letter`},
		{"reserved database name", withStages(`{"dev": {"databaseName": "template1"}}`), nil, nil,
			`stage "dev": databaseName = "template1": is reserved by PostgreSQL or RDS; reserved: postgres, template0, template1, rdsadmin`},

		// Stage names and the identifiers derived from them.
		{"uppercase stage", withStages(`{"Staging": {}}`), nil, nil,
			`stage "Staging": stage name = "Staging": must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen`},
		{"double hyphen in stage", withStages(`{"qa--1": {}}`), nil, nil,
			`stage "qa--1": stage name = "qa--1": must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen`},
		{"cluster identifier too long", `{"service": "` + longService + `", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"dev": {}}}`, nil, nil,
			`stage "dev": cluster identifier (derived from service and stage) = "main-` + longService + `-dev-cluster": is 67 characters: must be at most 63`},
		{"SSM reserved prefix", `{"service": "aws-tools", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"dev": {}}}`, nil, nil,
			`stage "dev": SSM parameter name (derived from service and stage) = "aws-tools-dev-credentials-arn": must not start with "aws" or "ssm" (reserved by SSM): choose another service name`},

		// Account settings, from the context or the environment.
		{"empty service", `{"service": "", "region": "us-east-1", "stateBucket": "movies-state"}`, nil, nil,
			`all stacks (bootstrap, dev, production): service = "" (from cdktf.json context.service): must not be empty`},
		{"service with an underscore", `{"region": "us-east-1", "stateBucket": "movies-state"}`, map[string]string{"DB_SERVICE": "my_movies"}, nil,
			`all stacks (bootstrap, dev, production): service = "my_movies" (from environment variable DB_SERVICE): must start with a lowercase letter and hold only lowercase letters, digits and single hyphens, not ending with a hyphen`},
		{"no state bucket", `{"region": "us-east-1"}`, nil, nil,
			`all stacks (bootstrap, dev, production): stateBucket = "" (from default): must not be empty: set context.stateBucket in cdktf.json or DB_STATE_BUCKET to a bucket you own`},
		{"state bucket with uppercase", withStages(`{"dev": {}}`), map[string]string{"DB_STATE_BUCKET": "Movies_State"}, nil,
			`all stacks (bootstrap, dev): stateBucket = "Movies_State" (from environment variable DB_STATE_BUCKET): must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, not shaped like an IP address`},
		{"state bucket shaped like an IP address", withStages(`{"dev": {}}`), map[string]string{"DB_STATE_BUCKET": "192.168.1.1"}, nil,
			`all stacks (bootstrap, dev): stateBucket = "192.168.1.1" (from environment variable DB_STATE_BUCKET): must be an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit, not shaped like an IP address`},
		{"unknown region", withStages(`{"dev": {}}`), map[string]string{"DB_REGION": "mars-1"}, nil,
			`all stacks (bootstrap, dev): region = "mars-1" (from environment variable DB_REGION): must be an AWS region code such as us-east-1 or eu-central-1`},
		{"state key prefix with a leading slash", withStages(`{"dev": {}}`), map[string]string{"DB_STATE_KEY_PREFIX": "/team"}, nil,
			`all stacks (bootstrap, dev): stateKeyPrefix = "/team" (from environment variable DB_STATE_KEY_PREFIX): must be empty or path segments of letters, digits and !_.*'()- joined by single slashes, with no leading or trailing slash`},
		{"state key prefix with a double slash", `{` + accountJSON + `, "stateKeyPrefix": "a//b"}`, nil, nil,
			`all stacks (bootstrap, dev, production): stateKeyPrefix = "a//b" (from cdktf.json context.stateKeyPrefix): must be empty or path segments of letters, digits and !_.*'()- joined by single slashes, with no leading or trailing slash`},

		{"local endpoint without a port", withStages(`{"dev": {}}`), map[string]string{"DB_LOCAL_ENDPOINT": "http://localhost"}, nil,
			`all stacks (bootstrap, dev): localEndpoint = "http://localhost" (from environment variable DB_LOCAL_ENDPOINT): must be empty for a real AWS account, or the URL of an AWS emulator such as http://127.0.0.1:5000`},
		{"local endpoint without a scheme", withStages(`{"dev": {}}`), map[string]string{"DB_LOCAL_ENDPOINT": "127.0.0.1:5000"}, nil,
			`all stacks (bootstrap, dev): localEndpoint = "127.0.0.1:5000" (from environment variable DB_LOCAL_ENDPOINT): must be empty for a real AWS account, or the URL of an AWS emulator such as http://127.0.0.1:5000`},
		{"state versions kept no day", `{` + accountJSON + `, "stateVersionRetentionDays": 0}`, nil, nil,
			`stack "bootstrap": context.stateVersionRetentionDays = 0: must be 1 to 3650 days`},
		{"state versions kept for a fraction of a day", `{` + accountJSON + `, "stateVersionRetentionDays": 0.5}`, nil, nil,
			`context.stateVersionRetentionDays = 0.5: must be a whole number of days`},
		{"stage named bootstrap", withStages(`{"bootstrap": {}}`), nil, nil,
			`stage "bootstrap": stage name = "bootstrap": is reserved for the stack that creates the state bucket; choose another name`},

		// Security settings.
		{"KMS key left empty", withStages(`{"dev": {"kmsKey": ""}}`), nil, nil,
			`stage "dev": kmsKey = "": must be "aws-managed" (AWS-managed keys), "create" (a key the stack creates) or the ARN of a KMS key in us-east-1 (arn:aws:kms:us-east-1:<account>:key/<key id>)`},
		{"KMS key given by alias", withStages(`{"dev": {"kmsKey": "alias/movies"}}`), nil, nil,
			`stage "dev": kmsKey = "alias/movies": must be "aws-managed" (AWS-managed keys), "create" (a key the stack creates) or the ARN of a KMS key in us-east-1 (arn:aws:kms:us-east-1:<account>:key/<key id>)`},
		{"KMS key of another region", withStages(`{"production": {"kmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`), nil, nil,
			`stage "production": kmsKey = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": must be "aws-managed" (AWS-managed keys), "create" (a key the stack creates) or the ARN of a KMS key in us-east-1 (arn:aws:kms:us-east-1:<account>:key/<key id>)`},
		{"Performance Insights kept 30 days", withStages(`{"dev": {"performanceInsightsRetentionDays": 30}}`), nil, nil,
			`stage "dev": performanceInsightsRetentionDays = 30: must be 7 (free), a multiple of 31 up to 713, or 731 days`},
		{"Performance Insights kept past the ceiling", withStages(`{"dev": {"performanceInsightsRetentionDays": 744}}`), nil, nil,
			`stage "dev": performanceInsightsRetentionDays = 744: must be 7 (free), a multiple of 31 up to 713, or 731 days`},
		{"monitoring every 2 seconds", withStages(`{"production": {"monitoringIntervalSeconds": 2}}`), nil, nil,
			`stage "production": monitoringIntervalSeconds = 2: must be one of 0 (off), 1, 5, 10, 15, 30, 60 seconds`},
		{"monitoring role name too long", `{"service": "` + longService[:45] + `", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"prod": {"profile": "production"}}}`, nil, nil,
			`stage "prod": monitoring role name (derived from service and stage) = "` + longService[:45] + `-prod-rds-monitoring": is 65 characters: must be at most 64`},
		{"unknown statement logging", withStages(`{"dev": {"logStatement": "everything"}}`), nil, nil,
			`stage "dev": logStatement = "everything": must be one of none, ddl, mod, all`},
		{"slow-statement threshold below -1", withStages(`{"dev": {"logMinDurationMs": -5}}`), nil, nil,
			`stage "dev": logMinDurationMs = -5: must be -1 (off) or 0 to 2147483647 milliseconds`},
		{"IAM authentication as a string", withStages(`{"dev": {"iamDatabaseAuthentication": "yes"}}`), nil, nil,
			`stage "dev": iamDatabaseAuthentication = "yes": must be true or false`},

		// The network.
		{"VPC ID with a short suffix", withStages(`{"dev": {"vpcId": "vpc-123", "subnetIds": ["subnet-0a1b2c3d", "subnet-1a2b3c4d"]}}`), nil, nil,
			`stage "dev": vpcId = "vpc-123": must be a VPC ID: "vpc-" and 8 or 17 lowercase hex digits`},
		{"subnet ID in uppercase", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0A1B2C3D", "subnet-1a2b3c4d"]}}`), nil, nil,
			`stage "dev": subnetIds = "subnet-0A1B2C3D": must be a subnet ID: "subnet-" and 8 or 17 lowercase hex digits`},
		{"subnet listed twice", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0a1b2c3d", "subnet-0a1b2c3d"]}}`), nil, nil,
			`stage "dev": subnetIds = "subnet-0a1b2c3d": is listed twice`},
		{"one subnet", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0a1b2c3d"]}}`), nil, nil,
			`stage "dev": subnetIds = ["subnet-0a1b2c3d"]: must list at least 2 subnets, in at least two Availability Zones (AWS checks the zones at deploy time)`},
		{"subnets and a subnet group", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-0a1b2c3d", "subnet-1a2b3c4d"], "subnetGroupName": "team-db"}}`), nil, nil,
			`stage "dev": subnetGroupName = "team-db": must not be set together with subnetIds: name an existing DB subnet group, or list the subnets for the stage's own`},
		{"subnet group with a slash", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d", "subnetGroupName": "team/db"}}`), nil, nil,
			`stage "dev": subnetGroupName = "team/db": must be 1 to 255 letters, digits, spaces, periods, underscores or hyphens`},
		{"subnets without a VPC", withStages(`{"dev": {"subnetIds": ["subnet-0a1b2c3d", "subnet-1a2b3c4d"]}}`), nil, nil,
			`stage "dev": vpcId = "": must be set with subnetIds or subnetGroupName: the database's security group is created in that VPC`},
		{"VPC without subnets", withStages(`{"dev": {"vpcId": "vpc-0a1b2c3d4e5f60718"}}`), nil, nil,
			`stage "dev": vpcId = "vpc-0a1b2c3d4e5f60718": needs subnetIds (at least two, in two Availability Zones) or subnetGroupName: without them the database would stay in the default VPC`},
		{"security group ID of a VPC", withStages(`{"dev": {"allowedSecurityGroupIds": ["vpc-0a1b2c3d"]}}`), nil, nil,
			`stage "dev": allowedSecurityGroupIds = "vpc-0a1b2c3d": must be a security group ID: "sg-" and 8 or 17 lowercase hex digits`},
		{"security group listed twice", withStages(`{"dev": {"allowedSecurityGroupIds": ["sg-0a1b2c3d", "sg-0a1b2c3d"]}}`), nil, nil,
			`stage "dev": allowedSecurityGroupIds = "sg-0a1b2c3d": is listed twice`},
		{"CIDR that does not parse", withStages(`{"dev": {"allowedCidrs": ["10.0.0.0/33"]}}`), nil, nil,
			`stage "dev": allowedCidrs = "10.0.0.0/33": must be an IPv4 or IPv6 CIDR block, such as 10.0.0.0/16 or 2001:db8::/32`},
		{"address instead of a CIDR", withStages(`{"dev": {"allowedCidrs": ["10.0.0.1"]}}`), nil, nil,
			`stage "dev": allowedCidrs = "10.0.0.1": must be an IPv4 or IPv6 CIDR block, such as 10.0.0.0/16 or 2001:db8::/32`},
		{"CIDR off its network address", withStages(`{"dev": {"allowedCidrs": ["10.0.0.1/16"]}}`), nil, nil,
			`stage "dev": allowedCidrs = "10.0.0.1/16": must start at its network address: 10.0.0.0/16`},
		{"CIDR listed twice", withStages(`{"dev": {"allowedCidrs": ["2001:db8::/32", "2001:db8::/32"]}}`), nil, nil,
			`stage "dev": allowedCidrs = "2001:db8::/32": is listed twice`},
		{"production open to the internet", withStages(`{"production": {"allowedCidrs": ["0.0.0.0/0"]}}`), nil, nil,
			`stage "production": allowedCidrs = "0.0.0.0/0": opens the database's port to the whole internet, which a production-profile stage refuses: list the networks of its clients`},
		{"production-profile stage open over IPv6", withStages(`{"prod-eu": {"profile": "production", "allowedCidrs": ["::/0"]}}`), nil, nil,
			`stage "prod-eu": allowedCidrs = "::/0": opens the database's port to the whole internet, which a production-profile stage refuses: list the networks of its clients`},

		// The database's consumers.
		{"role given by ARN", withStages(`{"dev": {"consumerRoleNames": ["arn:aws:iam::111122223333:role/movies-api"]}}`), nil, nil,
			`stage "dev": consumerRoleNames = "arn:aws:iam::111122223333:role/movies-api": must be the name of an IAM role (not its ARN): 1 to 64 letters, digits or +=,.@_- characters`},
		{"role name too long", withStages(`{"dev": {"consumerRoleNames": ["` + strings.Repeat("r", 65) + `"]}}`), nil, nil,
			`stage "dev": consumerRoleNames = "` + strings.Repeat("r", 65) + `": must be the name of an IAM role (not its ARN): 1 to 64 letters, digits or +=,.@_- characters`},
		{"role listed twice", withStages(`{"dev": {"consumerRoleNames": ["movies-api", "Movies-API"]}}`), nil, nil,
			`stage "dev": consumerRoleNames = "Movies-API": is listed twice (IAM role names are case-insensitive)`},
		{"roles that differ in punctuation", withStages(`{"dev": {"consumerRoleNames": ["movies.api", "movies-api"]}}`), nil, nil,
			`stage "dev": consumerRoleNames = "movies-api": differs from movies.api only in punctuation, and both would get the attachment consumer_movies_api; attach the policy to one of them by hand (output access_policy_arn)`},

		// Accounts and regions.
		{"stage region misspelt", withStages(`{"production": {"region": "eu-central"}}`), nil, nil,
			`stage "production": region = "eu-central": must be an AWS region code such as us-east-1 or eu-central-1`},
		{"account ID of 11 digits", withStages(`{"production": {"accountId": "11112222333"}}`), nil, nil,
			`stage "production": accountId = "11112222333": must be a 12-digit AWS account ID`},
		{"role given by name", withStages(`{"production": {"assumeRoleArn": "deployer"}}`), nil, nil,
			`stage "production": assumeRoleArn = "deployer": must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`},
		{"role ARN of a user", withStages(`{"production": {"assumeRoleArn": "arn:aws:iam::111122223333:user/deployer"}}`), nil, nil,
			`stage "production": assumeRoleArn = "arn:aws:iam::111122223333:user/deployer": must be an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`},
		{"role of another account", withStages(`{"production": {"accountId": "111122223333", "assumeRoleArn": "arn:aws:iam::444455556666:role/deploy/aurora-stages"}}`), nil, nil,
			`stage "production": assumeRoleArn = "arn:aws:iam::444455556666:role/deploy/aurora-stages": is a role of account 444455556666, but the stage's accountId is 111122223333`},
		{"key of another account", withStages(`{"production": {"accountId": "111122223333", "kmsKey": "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`), nil, nil,
			`stage "production": kmsKey = "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab": is a key of account 444455556666, but the stage's accountId is 111122223333`},
		{"key of the account's region, not the stage's", withStages(`{"production": {"region": "eu-central-1", "kmsKey": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}`), nil, nil,
			`stage "production": kmsKey = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": must be "aws-managed" (AWS-managed keys), "create" (a key the stack creates) or the ARN of a KMS key in eu-central-1 (arn:aws:kms:eu-central-1:<account>:key/<key id>)`},
		{"state role given by name", `{` + accountJSON + `, "stateRoleArn": "state-reader", "stages": {"dev": {}}}`, nil, nil,
			`all stacks (bootstrap, dev): stateRoleArn = "state-reader" (from cdktf.json context.stateRoleArn): must be empty or an IAM role ARN: arn:<partition>:iam::<12-digit account>:role/<optional path/><name>`},

		// The shape of the configuration.
		{"unknown stage on the command line", withStages(`{"dev": {}, "production": {}}`), nil, []string{"stagin"},
			`stage "stagin" named on the command line is not configured; configured stacks: bootstrap, dev, production`},
		{"misspelt stage setting", withStages(`{"dev": {"maxCapcity": 8}}`), nil, nil,
			`stage "dev": maxCapcity: unknown setting; did you mean maxCapacity?`},
		{"setting in the wrong case", withStages(`{"dev": {"KMSKey": "create"}}`), nil, nil,
			`stage "dev": KMSKey: unknown setting; did you mean kmsKey?`},
		{"setting close to none", withStages(`{"dev": {"colour": "blue"}}`), nil, nil,
			`stage "dev": colour: unknown setting; allowed: accountId, alarmTopicArn, allowMajorVersionUpgrade, allowProductionData, allowedCidrs, allowedSecurityGroupIds, applyImmediately, assumeRoleArn, autoMinorVersionUpgrade, autoPauseSeconds, backupRetentionDays, backupWindow, consumerRoleNames, credentialsVersion, databaseInsightsMode, databaseName, deletionProtection, engineVersion, finalSnapshot, finalSnapshotIdentifier, iamDatabaseAuthentication, keepAutomatedBackups, kmsKey, logExports, logMinDurationMs, logStatement, maintenanceWindow, masterUsername, maxCapacity, minCapacity, monitoringIntervalSeconds, performanceInsights, performanceInsightsRetentionDays, preventDestroy, readers, region, restoreFrom, secretRecoveryWindowDays, storageType, subnetGroupName, subnetIds, tags, vpcId, profile`},
		{"number as a string", withStages(`{"dev": {"maxCapacity": "8"}}`), nil, nil,
			`stage "dev": maxCapacity = "8": must be a number`},
		{"fraction of a day", withStages(`{"dev": {"backupRetentionDays": 1.5}}`), nil, nil,
			`stage "dev": backupRetentionDays = 1.5: must be a whole number`},
		{"null setting", withStages(`{"dev": {"engineVersion": null}}`), nil, nil,
			`stage "dev": engineVersion = null: must be a string`},
		{"unknown profile", withStages(`{"qa": {"profile": "prod"}}`), nil, nil,
			`stage "qa": profile = "prod": must be one of dev, production`},
		{"stage entry not an object", withStages(`{"dev": 5}`), nil, nil,
			`stage "dev": entry = 5: must be an object of settings ({} keeps the profile's defaults)`},
		{"stages not an object", withStages(`["dev"]`), nil, nil,
			`context.stages = ["dev"]: must be an object that maps each stage name to its settings, e.g. {"dev": {}, "production": {}}`},
		{"no stages", withStages(`{}`), nil, nil,
			`context.stages is empty: configure at least one stage, e.g. {"dev": {}}`},
		{"misspelt context setting", `{` + accountJSON + `, "statebucket": "x"}`, nil, nil,
			`context.statebucket: unknown setting; did you mean stateBucket?`},
		{"context setting close to none", `{` + accountJSON + `, "owner": "x"}`, nil, nil,
			`context.owner: unknown setting; allowed: alarmTopicArn, localEndpoint, previews, region, service, stages, stateBucket, stateKeyPrefix, stateRoleArn, stateVersionRetentionDays, tags`},
		{"service not a string", `{"service": 5, "region": "us-east-1", "stateBucket": "movies-state"}`, nil, nil,
			`context.service = 5: must be a string`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problems := problemsOf(t, c.context, c.env, c.only...)
			if !slices.Contains(problems, c.want) {
				t.Errorf("problems:\n  %s\nwant among them:\n  %s", strings.Join(problems, "\n  "), c.want)
			}
		})
	}
}

// A user fixes every mistake in one pass: problems in several stages and
// in the account settings are all reported by one run.
func TestEveryProblemIsReportedAtOnce(t *testing.T) {
	context := `{"service": "movies", "region": "us-east-1", "stateBucket": "",
	  "stages": {"dev": {"maxCapacity": 300}, "production": {"backupRetentionDays": 90, "masterUsername": "admin"}}}`
	problems := problemsOf(t, context, nil)
	wantPrefixes := []string{
		`all stacks (bootstrap, dev, production): stateBucket = ""`,
		`stage "dev": maxCapacity = 300`,
		`stage "production": backupRetentionDays = 90`,
		`stage "production": masterUsername = "admin"`,
	}
	if len(problems) != len(wantPrefixes) {
		t.Errorf("got %d problems, want %d:\n  %s", len(problems), len(wantPrefixes), strings.Join(problems, "\n  "))
	}
	for _, prefix := range wantPrefixes {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, prefix) }) {
			t.Errorf("no problem starts with %q:\n  %s", prefix, strings.Join(problems, "\n  "))
		}
	}
}

// The edges of every range are allowed, so the rules are no stricter than AWS.
func TestBoundaryValuesAreValid(t *testing.T) {
	for _, stages := range []string{
		`{"dev": {"minCapacity": 0, "maxCapacity": 1, "autoPauseSeconds": 300, "backupRetentionDays": 35}}`,
		`{"dev": {"minCapacity": 256, "maxCapacity": 256, "autoPauseSeconds": 0, "backupRetentionDays": 1}}`,
		`{"dev": {"autoPauseSeconds": 86400, "secretRecoveryWindowDays": 7}}`,
		`{"dev": {"engineVersion": "16.3"}}`,
		`{"dev": {"engineVersion": "16.1", "minCapacity": 0.5, "autoPauseSeconds": 0}}`,
		`{"dev": {"engineVersion": "13.15", "masterUsername": "movies_database", "databaseName": "movies"}}`,
		`{"production": {"logExports": ["postgresql", "iam-db-auth-error"], "finalSnapshotIdentifier": "movies-final-2026"}}`,
		`{"production": {"finalSnapshot": false, "finalSnapshotIdentifier": "Ignored_When_Off"}}`,
		`{"production": {"kmsKey": "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", "performanceInsightsRetentionDays": 731, "monitoringIntervalSeconds": 1}}`,
		`{"dev": {"kmsKey": "create", "performanceInsightsRetentionDays": 31, "logStatement": "all", "logMinDurationMs": 0}}`,
		`{"dev": {"logStatement": "none", "logMinDurationMs": -1, "monitoringIntervalSeconds": 60, "performanceInsights": false}}`,
		`{"prod": {"profile": "production"}}`,
		`{"dev": {"readers": 15, "storageType": "aurora-iopt1", "backupWindow": "23:45-00:15", "maintenanceWindow": "sun:00:15-sun:00:45"}}`,
		`{"dev": {"backupWindow": "01:00-01:30", "maintenanceWindow": "sun:23:45-mon:00:15"}}`,
		`{"production": {"readers": 0, "storageType": "aurora", "backupWindow": "", "maintenanceWindow": ""}}`,
		`{"dev": {"backupWindow": "04:00-04:30", "maintenanceWindow": "sun:04:30-sun:05:00"}}`,
		`{"dev": {"tags": {"cost centre": "CC 42/eu", "owner@team": "platform+db:=_.-", "Ünïcode": "ß"}}}`,
		`{"dev": {"tags": ` + manyTags("stage", 46) + `}}`,
		`{"dev": {"alarmTopicArn": "arn:aws:sns:us-east-1:111122223333:movies_db-alarms"}}`,
	} {
		if problems := problemsOf(t, withStages(stages), nil); problems != nil {
			t.Errorf("stages %s: unexpected problems:\n  %s", stages, strings.Join(problems, "\n  "))
		}
	}
}

func ExampleConfigError() {
	parsed, _ := settings.ParseContext([]byte(withStages(`{"dev": {"maxCapacity": 300}}`)), noEnv)
	_, err := parsed.Resolve(nil)
	fmt.Println(err)
	// Output:
	// invalid configuration:
	//   - stage "dev": maxCapacity = 300: must be 1 to 256 ACU in steps of 0.5
}

// A bad service name is one problem, not one more per stage for every name
// derived from it.
func TestBadServiceIsReportedOnce(t *testing.T) {
	problems := problemsOf(t, `{"service": "Movies", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"dev": {}, "production": {}}}`, nil)
	if len(problems) != 1 || !strings.HasPrefix(problems[0], `all stacks (bootstrap, dev, production): service = "Movies"`) {
		t.Errorf("problems:\n  %s\nwant only the service's", strings.Join(problems, "\n  "))
	}
}

// manyTags is a JSON object of n tags, <prefix>-1 to <prefix>-n.
func manyTags(prefix string, n int) string {
	var pairs []string
	for i := 1; i <= n; i++ {
		pairs = append(pairs, fmt.Sprintf(`"%s-%d": "x"`, prefix, i))
	}
	return "{" + strings.Join(pairs, ", ") + "}"
}

// compactJSON is a JSON object as the messages print it: keys sorted, no spaces.
func compactJSON(object string) string {
	var value map[string]string
	if err := json.Unmarshal([]byte(object), &value); err != nil {
		panic(err)
	}
	out, _ := json.Marshal(value)
	return string(out)
}
