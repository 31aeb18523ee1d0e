package tests

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"aurora-stages/internal/testcpu"
	"aurora-stages/review"
	"aurora-stages/settings"
)

// What the review makes of each real plan in testdata/plans.
var reviewExpectations = []struct {
	fixture string
	counts  map[review.Action]int
	changes map[string][]string // address -> attribute lines, "name: before -> after"
	risks   []string            // "address: reason"
	reasons map[string]string   // address -> why it is replaced, where no attribute says
}{
	{
		fixture: "no-changes",
		counts:  map[review.Action]int{},
	},
	{
		// The access policy's document names the cluster: whenever the
		// cluster changes, Terraform reads it at apply time, so the policy
		// shows as updated, with no attribute known to change.
		fixture: "scaling",
		counts:  map[review.Action]int{review.Update: 2},
		changes: map[string][]string{"aws_iam_policy.access": nil, "aws_rds_cluster.cluster": {
			`serverlessv2_scaling_configuration: [{"max_capacity":4,"min_capacity":0,"seconds_until_auto_pause":3600}] -> [{"max_capacity":8,"min_capacity":0,"seconds_until_auto_pause":3600}]`,
		}},
	},
	{
		// The numbers are derived from the ID of the password of record,
		// so the new one is known only at apply.
		fixture: "rotation",
		counts:  map[review.Action]int{review.Update: 2, review.Replace: 2},
		changes: map[string][]string{
			"aws_iam_policy.access":                               nil,
			"aws_rds_cluster.cluster":                             {"master_password_wo_version: <generation> -> (known after apply)"},
			"aws_secretsmanager_secret_version.credentials_value": {"secret_string_wo_version: <generation> -> (known after apply) (forces replacement)"},
			// moto dropped the label when AWSCURRENT moved (see docs/local.md).
			"aws_secretsmanager_secret_version.master_password": {"secret_string_wo_version: 1 -> 2 (forces replacement)", `version_stages: ["AWSPREVIOUS"] -> ["master-password"]`},
		},
	},
	{
		fixture: "master-username",
		counts:  map[review.Action]int{review.Update: 3, review.Replace: 3},
		changes: map[string][]string{
			"aws_iam_policy.access": nil,
			// enable_http_endpoint and Performance Insights: moto reports
			// them off (see docs/local.md).
			"aws_rds_cluster.cluster": {"enable_http_endpoint: false -> true", `master_username: "dbadmin" -> "dbowner" (forces replacement)`},
			"aws_rds_cluster_instance.writer": {`cluster_identifier: "main-movies-dev-cluster" -> (known after apply) (forces replacement)`,
				"performance_insights_enabled: false -> true", "performance_insights_retention_period: 0 -> 7"},
			// Replaced with the cluster: no attribute of its own changes.
			"aws_secretsmanager_secret_version.credentials_value": nil,
			"aws_ssm_parameter.reader_endpoint":                   {"value: (sensitive) -> (sensitive)"},
			"aws_ssm_parameter.resource_arn":                      {"value: (sensitive) -> (sensitive)"},
		},
		reasons: map[string]string{"aws_secretsmanager_secret_version.credentials_value": "its replace_triggered_by changed"},
		risks: []string{
			"aws_rds_cluster.cluster: replaced (destroyed and created anew), forced by master_username: the database and its automated backups",
			"aws_rds_cluster_instance.writer: replaced (destroyed and created anew), forced by cluster_identifier: the writer: the database has no capacity until a new one is up",
			"aws_ssm_parameter.reader_endpoint: value changes: every consumer that reads this parameter is affected",
			"aws_ssm_parameter.resource_arn: value changes: every consumer that reads this parameter is affected",
		},
	},
	{
		// Before the fix: the cluster replaced create-before-destroy, the
		// credentials untouched. Both are flagged.
		fixture: "master-username-create-before-destroy",
		counts:  map[review.Action]int{review.Update: 1, review.Replace: 2},
		changes: map[string][]string{
			"aws_rds_cluster.cluster":         {"enable_http_endpoint: false -> true", `master_username: "dbadmin" -> "dbowner" (forces replacement)`},
			"aws_rds_cluster_instance.writer": {`cluster_identifier: "main-movies-dev-cluster" -> (known after apply) (forces replacement)`},
			"aws_ssm_parameter.resource_arn":  {"value: (sensitive) -> (sensitive)"},
		},
		risks: []string{
			"aws_rds_cluster.cluster: replaced (destroyed and created anew), forced by master_username: the database and its automated backups",
			`aws_rds_cluster.cluster: replaced create-before-destroy under the same cluster_identifier "main-movies-dev-cluster": AWS refuses a second object of that name while the first exists, so the apply fails halfway`,
			"aws_rds_cluster_instance.writer: replaced (destroyed and created anew), forced by cluster_identifier: the writer: the database has no capacity until a new one is up",
			"aws_ssm_parameter.resource_arn: value changes: every consumer that reads this parameter is affected",
			"aws_rds_cluster.cluster: created anew while aws_secretsmanager_secret_version.credentials_value is not written in the same plan: the secret would keep another cluster's endpoint and password, and every client that reads it is locked out",
		},
	},
	{
		fixture: "engine-major-refused",
		counts:  map[review.Action]int{review.Update: 2, review.Replace: 1},
		changes: map[string][]string{
			"aws_iam_policy.access":   nil,
			"aws_rds_cluster.cluster": {`db_cluster_parameter_group_name: "movies-dev-aurora-postgresql16" -> "movies-dev-aurora-postgresql17"`, `engine_version: "16.6" -> "17.4"`},
			"aws_rds_cluster_parameter_group.parameters": {
				`family: "aurora-postgresql16" -> "aurora-postgresql17" (forces replacement)`,
				`name: "movies-dev-aurora-postgresql16" -> "movies-dev-aurora-postgresql17" (forces replacement)`,
				`tags: {"Name":"movies-dev-aurora-postgresql16"} -> {"Name":"movies-dev-aurora-postgresql17"}`,
				`tags_all: {"Name":"movies-dev-aurora-postgresql16","managed-by":"cdktf","service":"movies","stage":"dev"} -> {"Name":"movies-dev-aurora-postgresql17","managed-by":"cdktf","service":"movies","stage":"dev"}`,
			},
		},
		risks: []string{
			"aws_rds_cluster.cluster: engine major version changes from 16.6 to 17.4: a major upgrade, with downtime and no way back",
			`aws_rds_cluster.cluster: AWS will refuse this major version upgrade: allow_major_version_upgrade is not set; set "allowMajorVersionUpgrade": true in the stage's entry to upgrade in place`,
		},
	},
	{
		// The parameter group of the new family gets a name of its own, so
		// its create-before-destroy is no risk.
		fixture: "engine-major-allowed",
		counts:  map[review.Action]int{review.Update: 2, review.Replace: 1},
		changes: map[string][]string{
			"aws_iam_policy.access":   nil,
			"aws_rds_cluster.cluster": {"allow_major_version_upgrade: false -> true", `db_cluster_parameter_group_name: "movies-dev-aurora-postgresql16" -> "movies-dev-aurora-postgresql17"`, `engine_version: "16.6" -> "17.4"`},
			"aws_rds_cluster_parameter_group.parameters": {
				`family: "aurora-postgresql16" -> "aurora-postgresql17" (forces replacement)`,
				`name: "movies-dev-aurora-postgresql16" -> "movies-dev-aurora-postgresql17" (forces replacement)`,
				`tags: {"Name":"movies-dev-aurora-postgresql16"} -> {"Name":"movies-dev-aurora-postgresql17"}`,
				`tags_all: {"Name":"movies-dev-aurora-postgresql16","managed-by":"cdktf","service":"movies","stage":"dev"} -> {"Name":"movies-dev-aurora-postgresql17","managed-by":"cdktf","service":"movies","stage":"dev"}`,
			},
		},
		risks: []string{"aws_rds_cluster.cluster: engine major version changes from 16.6 to 17.4: a major upgrade, with downtime and no way back"},
	},
	{
		fixture: "production-deletion-protection-off",
		counts:  map[review.Action]int{review.Update: 2},
		changes: map[string][]string{"aws_iam_policy.access": nil, "aws_rds_cluster.cluster": {"deletion_protection: true -> false"}},
		risks:   []string{"aws_rds_cluster.cluster: deletion protection turned off: AWS will no longer refuse to delete the cluster"},
	},
	{
		fixture: "open-to-the-internet",
		counts:  map[review.Action]int{review.Create: 1},
		changes: map[string][]string{"aws_vpc_security_group_ingress_rule.ingress_from_0_0_0_0_0": nil},
		risks:   []string{"aws_vpc_security_group_ingress_rule.ingress_from_0_0_0_0_0: opens the database's port to the whole internet (cidr_ipv4 0.0.0.0/0)"},
	},
	{
		// From the default VPC to the team's: RDS cannot move a cluster to
		// another subnet group, and the security group follows the VPC.
		fixture: "moved-to-a-vpc",
		counts:  map[review.Action]int{review.Create: 1, review.Update: 4, review.Replace: 4},
		changes: map[string][]string{
			"aws_db_subnet_group.subnets":                         nil,
			"aws_iam_policy.access":                               nil,
			"aws_ssm_parameter.reader_endpoint":                   {"value: (sensitive) -> (sensitive)"},
			"aws_rds_cluster.cluster":                             {`db_subnet_group_name: "default" -> "movies-dev" (forces replacement)`, "enable_http_endpoint: false -> true"},
			"aws_rds_cluster_instance.writer":                     {`cluster_identifier: "main-movies-dev-cluster" -> (known after apply) (forces replacement)`, "performance_insights_enabled: false -> true", "performance_insights_retention_period: 0 -> 7"},
			"aws_secretsmanager_secret_version.credentials_value": nil,
			"aws_security_group.database":                         {`vpc_id: "<vpc>" -> "<vpc>" (forces replacement)`},
			"aws_ssm_parameter.resource_arn":                      {"value: (sensitive) -> (sensitive)"},
			"aws_ssm_parameter.security_group":                    {"value: (sensitive) -> (sensitive)"},
		},
		reasons: map[string]string{"aws_secretsmanager_secret_version.credentials_value": "its replace_triggered_by changed"},
		risks: []string{
			"aws_rds_cluster.cluster: replaced (destroyed and created anew), forced by db_subnet_group_name: the database and its automated backups",
			"aws_rds_cluster_instance.writer: replaced (destroyed and created anew), forced by cluster_identifier: the writer: the database has no capacity until a new one is up",
			"aws_security_group.database: replaced (destroyed and created anew), forced by vpc_id: the database's security group: every client it lets in loses its way to the database until the new one is attached, and must be pointed at the new ID",
			"aws_ssm_parameter.reader_endpoint: value changes: every consumer that reads this parameter is affected",
			"aws_ssm_parameter.resource_arn: value changes: every consumer that reads this parameter is affected",
			"aws_ssm_parameter.security_group: value changes: every consumer that reads this parameter is affected",
		},
	},
	{
		fixture: "stage-removed",
		counts:  map[review.Action]int{review.Delete: 13},
		changes: map[string][]string{
			"aws_iam_policy.access": nil, "aws_ssm_parameter.reader_endpoint": nil,
			"aws_rds_cluster.cluster": nil, "aws_rds_cluster_instance.writer": nil, "aws_rds_cluster_parameter_group.parameters": nil,
			"aws_secretsmanager_secret.credentials": nil, "aws_secretsmanager_secret_version.credentials_value": nil,
			"aws_secretsmanager_secret_version.master_password": nil, "aws_security_group.database": nil, "aws_ssm_parameter.credentials_arn": nil,
			"aws_ssm_parameter.resource_arn": nil, "aws_ssm_parameter.security_group": nil, "terraform_data.encryption": nil,
		},
		risks: []string{
			"aws_rds_cluster.cluster: deleted: the database and its automated backups",
			"aws_rds_cluster_instance.writer: deleted: the writer: the database has no capacity until a new one is up",
			"aws_secretsmanager_secret.credentials: deleted: the master credentials every client reads",
			"aws_security_group.database: deleted: the database's security group: every client it lets in loses its way to the database until the new one is attached, and must be pointed at the new ID",
			"aws_ssm_parameter.credentials_arn: deleted: every consumer that reads this parameter breaks",
			"aws_ssm_parameter.reader_endpoint: deleted: every consumer that reads this parameter breaks",
			"aws_ssm_parameter.resource_arn: deleted: every consumer that reads this parameter breaks",
			"aws_ssm_parameter.security_group: deleted: every consumer that reads this parameter breaks",
		},
	},
	{
		// A reader added creates it alone: no risk.
		fixture: "reader-added",
		counts:  map[review.Action]int{review.Create: 1},
		changes: map[string][]string{"aws_rds_cluster_instance.reader_1": nil},
	},
	{
		fixture: "production-last-reader-removed",
		counts:  map[review.Action]int{review.Delete: 1},
		changes: map[string][]string{"aws_rds_cluster_instance.reader_1": nil},
		risks: []string{"aws_rds_cluster_instance.reader_1: deleted, the cluster's last reader: no failover target: when the writer or its Availability Zone fails, " +
			"Aurora must create a new instance before the database answers again (minutes of downtime)"},
	},
}

// generatedValues are the parts of a real plan that differ with every
// regeneration: IDs moto makes up, and the password generation derived from
// a secret version's ID.
var generatedValues = []struct {
	pattern     *regexp.Regexp
	placeholder string
}{
	{regexp.MustCompile(`vpc-[0-9a-f]{17}`), "<vpc>"},
	{regexp.MustCompile(`\b[0-9]{12,}\b`), "<generation>"},
}

func withoutGeneratedValues(line string) string {
	for _, g := range generatedValues {
		line = g.pattern.ReplaceAllString(line, g.placeholder)
	}
	return line
}

func TestReviewOfRealPlans(t *testing.T) {
	for _, e := range reviewExpectations {
		t.Run(e.fixture, func(t *testing.T) {
			plan, err := review.ParsePlan(planFixture(t, e.fixture))
			if err != nil {
				t.Fatal(err)
			}
			r := review.NewReport("stage dev", plan)

			for _, action := range []review.Action{review.Create, review.Update, review.Replace, review.Delete} {
				if r.Counts[action] != e.counts[action] {
					t.Errorf("%s: %d to %s, want %d", e.fixture, r.Counts[action], action, e.counts[action])
				}
			}
			got := map[string][]string{}
			for _, c := range r.Changes {
				if c.Reason != e.reasons[c.Address] {
					t.Errorf("%s: %s replaced because %q, want %q", e.fixture, c.Address, c.Reason, e.reasons[c.Address])
				}
				var lines []string
				for _, a := range c.Attributes {
					line := withoutGeneratedValues(a.Name + ": " + a.Before + " -> " + a.After)
					if a.ForcesReplacement {
						line += " (forces replacement)"
					}
					lines = append(lines, line)
				}
				got[c.Address] = lines
			}
			if len(got) != len(e.changes) {
				t.Errorf("%s: changed resources %v, want %v", e.fixture, mapKeysOf(got), mapKeysOf(e.changes))
			}
			for address, want := range e.changes {
				if !slices.Equal(got[address], want) {
					t.Errorf("%s: %s changes\n got %q\nwant %q", e.fixture, address, got[address], want)
				}
			}
			var risks []string
			for _, risk := range r.Risks {
				risks = append(risks, risk.Address+": "+risk.Reason)
			}
			if !slices.Equal(risks, e.risks) {
				t.Errorf("%s: risks\n got %q\nwant %q", e.fixture, risks, e.risks)
			}
			wantExit := 0
			if len(e.risks) > 0 {
				wantExit = 2
			}
			if r.ExitCode() != wantExit {
				t.Errorf("%s: exit code %d, want %d", e.fixture, r.ExitCode(), wantExit)
			}
			// Both formats name every flagged resource and its reason.
			for _, output := range []string{r.Text(), r.Markdown()} {
				for _, risk := range r.Risks {
					if !strings.Contains(output, risk.Reason) || !strings.Contains(output, risk.Address) {
						t.Errorf("%s: output lacks the risk %q on %s:\n%s", e.fixture, risk.Reason, risk.Address, output)
					}
				}
			}
		})
	}
}

// Sensitive and write-only values never print, whatever their format: a
// plan made by hand puts secrets where a real one would mark them.
func TestReviewNeverPrintsSensitiveValues(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2", "resource_changes": [
	  {"address": "aws_ssm_parameter.resource_arn", "mode": "managed", "type": "aws_ssm_parameter", "name": "resource_arn",
	   "change": {"actions": ["update"], "before": {"value": "hunter2-before"}, "after": {"value": "hunter2-after"},
	              "after_unknown": {}, "before_sensitive": {"value": true}, "after_sensitive": {"value": true}}},
	  {"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
	   "change": {"actions": ["update"], "before": {"master_password_wo": null, "tags": {"a": "b"}},
	              "after": {"master_password_wo": "hunter2-write-only", "tags": {"a": "hunter2-nested"}},
	              "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {"tags": {"a": true}}}}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := review.NewReport("stage dev", plan)
	for format, output := range map[string]string{"text": r.Text(), "markdown": r.Markdown()} {
		if strings.Contains(output, "hunter2") {
			t.Errorf("%s output prints a sensitive value:\n%s", format, output)
		}
		if strings.Count(output, "(sensitive)") < 4 {
			t.Errorf("%s output does not say (sensitive) for each hidden value:\n%s", format, output)
		}
	}
}

// A plan that deletes the stage's KMS key (say, kmsKey moved from "create"
// to an existing key) is flagged like a deleted database.
func TestReviewFlagsTheDeletionOfTheKMSKey(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2", "resource_changes": [
	  {"address": "aws_kms_key.key", "mode": "managed", "type": "aws_kms_key", "name": "key",
	   "change": {"actions": ["delete"], "before": {"enable_key_rotation": true}, "after": null,
	              "after_unknown": {}, "before_sensitive": {}, "after_sensitive": false}}
	]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := review.NewReport("stage production", plan)
	want := "aws_kms_key.key: deleted: the key of the database, its snapshots and the secret: once its deletion window ends, nothing it encrypted can be read"
	if len(r.Risks) != 1 || r.Risks[0].Address+": "+r.Risks[0].Reason != want || r.ExitCode() != 2 {
		t.Errorf("risks = %+v, exit %d; want exactly %q and exit 2", r.Risks, r.ExitCode(), want)
	}
}

func TestConfigRisksOfProductionProfile(t *testing.T) {
	parsed, err := settings.ParseContext([]byte(withStages(`{"dev": {}, "production": {"preventDestroy": false, "finalSnapshot": false, "readers": 0}}`)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := parsed.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	dev, production := resolved.Stages[0], resolved.Stages[1]
	if risks := review.ConfigRisks(dev); len(risks) != 0 {
		t.Errorf("dev: %v, want no risks: dev neither prevents destroy nor keeps a final snapshot by design", risks)
	}
	// Held to its account, production is flagged for nothing else.
	held := production
	held.PreventDestroy, held.FinalSnapshot, held.AccountID, held.Readers, held.AlarmTopicARN = true, true, "111122223333", 1, "arn:aws:sns:us-east-1:111122223333:alarms"
	if risks := review.ConfigRisks(held); len(risks) != 0 {
		t.Errorf("production held to its account: %v, want no risks", risks)
	}
	var reasons []string
	for _, risk := range review.ConfigRisks(production) {
		reasons = append(reasons, risk.Reason)
	}
	want := []string{
		"prevent_destroy is off on a production-profile stage: Terraform will no longer refuse a plan that destroys the database",
		"final snapshot skipped on a production-profile stage: a destroy would keep no copy of the data",
		`no reader on a production-profile stage, no failover target: when the writer or its Availability Zone fails, Aurora must create a new instance before the database answers again (minutes of downtime); set "readers": 1 or more in the stage's entry`,
		`no alarmTopicArn on a production-profile stage: nobody is told when the database is held at its capacity ceiling, short of CPU or failing over; set "alarmTopicArn" to an SNS topic`,
		`no accountId on a production-profile stage: nothing stops a deploy with another account's credentials (dev's, say) from creating or changing this stage there; set "accountId" in the stage's entry`,
	}
	if !slices.Equal(reasons, want) {
		t.Errorf("production risks\n got %q\nwant %q", reasons, want)
	}
}

func runReview(t *testing.T, dir string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(goBinary(t, "./cmd/review"), args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	testcpu.Charge(t, cmd.ProcessState)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exitErr):
		return string(out), exitErr.ExitCode()
	}
	t.Fatalf("review: %v", err)
	return "", 0
}

// The exit status is the CI gate: 0 nothing flagged, 1 error, 2 risks
// flagged (or a usage error); an acceptance turns 2 into 0 and is echoed.
func TestReviewCommandExitStatus(t *testing.T) {
	plans := filepath.Join(repoRootPath, "__tests__", "testdata", "plans")
	cases := []struct {
		name     string
		args     []string
		wantExit int
		wantOut  string
	}{
		{"no changes", []string{"--plan-json", filepath.Join(plans, "no-changes.json")}, 0, "No changes."},
		{"risky", []string{"--plan-json", filepath.Join(plans, "stage-removed.json")}, 2, "Not accepted: exit status 2"},
		{"risky, accepted", []string{"--plan-json", filepath.Join(plans, "stage-removed.json"), "--accept-risks", "alice: dev is retired (TICKET-42)"}, 0,
			"Risks accepted: alice: dev is retired (TICKET-42)"},
		{"markdown", []string{"--plan-json", filepath.Join(plans, "production-deletion-protection-off.json"), "--stage", "production", "--format", "markdown"}, 2,
			"### Plan for stage production (plan file production-deletion-protection-off.json)"},
		{"missing plan file", []string{"--plan-json", filepath.Join(plans, "nope.json")}, 1, "no such file"},
		{"not a plan", []string{"--plan-json", filepath.Join(repoRootPath, "cdktf.json")}, 1, "not a Terraform JSON plan"},
		{"unknown format", []string{"--plan-json", filepath.Join(plans, "no-changes.json"), "--format", "html"}, 2, `--format "html": must be text or markdown`},
		{"unknown flag", []string{"--plan", "x"}, 2, "flag provided but not defined: -plan"},
		{"nothing to review", nil, 2, "name a stage (--stage production) or a plan (--plan-json FILE)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, exit := runReview(t, repoRootPath, os.Environ(), c.args...)
			if exit != c.wantExit || !strings.Contains(out, c.wantOut) {
				t.Errorf("review %q: exit %d, want %d; output should contain %q:\n%s", c.args, exit, c.wantExit, c.wantOut, out)
			}
		})
	}
}

func mapKeysOf[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// A switch to I/O-Optimized storage is noted, and a switch back is not.
// moto cannot create or modify a cluster with Aurora's storage types
// (docs/local.md), so these plans are written by hand, in terraform show
// -json's shape.
func TestReviewNotesTheSwitchToIOOptimized(t *testing.T) {
	planOf := func(before, after string) *review.Plan {
		t.Helper()
		plan, err := review.ParsePlan([]byte(`{"format_version": "1.2", "resource_changes": [{
		  "address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
		  "change": {"actions": ["update"], "before": {"storage_type": "` + before + `"}, "after": {"storage_type": "` + after + `"}}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	risks := review.FindRisks(planOf("aurora", "aurora-iopt1"))
	want := []review.Risk{{Address: "aws_rds_cluster.cluster", Reason: "storage type changes from aurora to aurora-iopt1 (I/O-Optimized): AWS allows this switch once in 30 days, the way back to Standard at any time"}}
	if !slices.Equal(risks, want) {
		t.Errorf("to I/O-Optimized: risks %q, want %q", risks, want)
	}
	if risks := review.FindRisks(planOf("aurora-iopt1", "aurora")); len(risks) != 0 {
		t.Errorf("back to Standard: risks %q, want none", risks)
	}
}
