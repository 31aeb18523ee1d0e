package tests

import (
	"slices"
	"strings"
	"testing"

	"aurora-stages/review"
)

func parsedFixture(t *testing.T, name string) *review.Plan {
	t.Helper()
	plan, err := review.ParsePlan(planFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func riskLines(risks []review.Risk) []string {
	var lines []string
	for _, risk := range risks {
		lines = append(lines, risk.Address+": "+risk.Reason)
	}
	return lines
}

// The drift made on dev with the SDK (plan_fixtures_test.go's makeDrift):
// what the risks guard is flagged, the tag only listed.
var fixtureDriftRisks = []string{
	"aws_rds_cluster.cluster: changed outside Terraform: backups shortened from 7 to 1 days: older restore points are lost",
	"aws_ssm_parameter.reader_endpoint: changed outside Terraform: deleted: every consumer that reads this parameter breaks",
}

// A review lists the drift before the plan's own changes, with what the
// plan does about each; the plan here reverts all of it.
func TestReviewListsTheDriftBeforeTheChanges(t *testing.T) {
	r := review.NewReport("stage dev", parsedFixture(t, "drift"))

	text := r.Text()
	wantText := []string{
		"Plan for stage dev: 1 to create, 2 to update in place, 0 to replace, 0 to delete",
		"",
		"Changed outside Terraform (2 resources):",
		"  ~ aws_rds_cluster.cluster (reverted by this plan)",
		"      backup_retention_period: 7 in the state, 1 in AWS",
		`      tags: {"Name":"main-movies-dev-cluster"} in the state, {"Name":"main-movies-dev-cluster","owner":"data-team"} in AWS`,
		"  - aws_ssm_parameter.reader_endpoint (deleted in AWS, created again by this plan)",
		"",
		"~ aws_iam_policy.access (update in place)",
	}
	if !strings.HasPrefix(text, strings.Join(wantText, "\n")+"\n") {
		t.Errorf("text does not start with\n%s\nit is:\n%s", strings.Join(wantText, "\n"), text)
	}

	markdown := r.Markdown()
	wantMarkdown := []string{
		"**Changed outside Terraform (2 resources):**",
		"",
		"| resource | attribute | in the state | in AWS | this plan |",
		"| --- | --- | --- | --- | --- |",
		"| `aws_rds_cluster.cluster` | `backup_retention_period` | `7` | `1` | reverted by this plan |",
		"|  | `tags` | `{\"Name\":\"main-movies-dev-cluster\"}` | `{\"Name\":\"main-movies-dev-cluster\",\"owner\":\"data-team\"}` |  |",
		"| `aws_ssm_parameter.reader_endpoint` | deleted in AWS |  |  | created again by this plan |",
		"",
		"| action | resource | attribute | before | after |",
	}
	if !containsLines(markdown, wantMarkdown) || !strings.HasPrefix(markdown, "### Plan for stage dev\n\n1 to create") {
		t.Errorf("markdown lacks\n%s\nit is:\n%s", strings.Join(wantMarkdown, "\n"), markdown)
	}

	if got := riskLines(r.Risks); !slices.Equal(got, fixtureDriftRisks) {
		t.Errorf("risks\n got %q\nwant %q", got, fixtureDriftRisks)
	}
	for _, output := range []string{text, markdown} {
		if strings.Contains(output, "tags: changed outside") || strings.Count(output, "changed outside Terraform:") != 2 {
			t.Errorf("the tag is flagged, or a risk is missing:\n%s", output)
		}
	}
	if r.ExitCode() != 2 {
		t.Errorf("exit %d, want 2", r.ExitCode())
	}
}

// The daily check reads a refresh-only plan: it changes nothing, so
// nothing is said to be reverted; the check says how to revert or adopt.
func TestDriftCheckOfARefreshOnlyPlan(t *testing.T) {
	plan := parsedFixture(t, "drift-refresh-only")
	for _, d := range review.FindDrift(plan) {
		if d.Reverted != "" {
			t.Errorf("%s: %q in a refresh-only plan, want nothing", d.Address, d.Reverted)
		}
	}
	d := review.NewDriftReport("stage dev", plan)
	wantText := `Drift of stage dev: 2 resources changed outside Terraform
  ~ aws_rds_cluster.cluster
      backup_retention_period: 7 in the state, 1 in AWS
      tags: {"Name":"main-movies-dev-cluster"} in the state, {"Name":"main-movies-dev-cluster","owner":"data-team"} in AWS
  - aws_ssm_parameter.reader_endpoint (deleted in AWS)

A deploy of the stage reverts each change; to keep one instead, set the stage's settings to match it, then deploy.

RISKS (2):
  ! aws_rds_cluster.cluster: changed outside Terraform: backups shortened from 7 to 1 days: older restore points are lost
  ! aws_ssm_parameter.reader_endpoint: changed outside Terraform: deleted: every consumer that reads this parameter breaks
`
	if got := d.Text(); got != wantText {
		t.Errorf("text\n got:\n%s\nwant:\n%s", got, wantText)
	}
	wantMarkdown := "### Drift of stage dev\n\n2 resources changed outside Terraform.\n\n" +
		"| resource | attribute | in the state | in AWS |\n| --- | --- | --- | --- |\n" +
		"| `aws_rds_cluster.cluster` | `backup_retention_period` | `7` | `1` |\n" +
		"|  | `tags` | `{\"Name\":\"main-movies-dev-cluster\"}` | `{\"Name\":\"main-movies-dev-cluster\",\"owner\":\"data-team\"}` |\n" +
		"| `aws_ssm_parameter.reader_endpoint` | deleted in AWS |  |  |\n\n" +
		"A deploy of the stage reverts each change; to keep one instead, set the stage's settings to match it, then deploy.\n\n" +
		"**RISKS (2):**\n\n" +
		"- :warning: `aws_rds_cluster.cluster`: changed outside Terraform: backups shortened from 7 to 1 days: older restore points are lost\n" +
		"- :warning: `aws_ssm_parameter.reader_endpoint`: changed outside Terraform: deleted: every consumer that reads this parameter breaks\n"
	if got := d.Markdown(); got != wantMarkdown {
		t.Errorf("markdown\n got:\n%s\nwant:\n%s", got, wantMarkdown)
	}
	if got := riskLines(d.Risks); !slices.Equal(got, fixtureDriftRisks) {
		t.Errorf("risks\n got %q\nwant %q", got, fixtureDriftRisks)
	}
	if d.ExitCode() != 2 {
		t.Errorf("exit %d with drift, want 2", d.ExitCode())
	}
}

// no-changes was planned right after dev's first deploy: terraform reports
// drift on it (an instance joined cluster_members; AWS moved a secret
// version's labels, which the configuration ignores), none of it anyone's
// change. The check passes, and no review of a fixture made before the
// drift prints a drift section but rotation's, which puts the label back.
func TestNoDriftWhereNothingChangedOutsideTerraform(t *testing.T) {
	plan := parsedFixture(t, "no-changes")
	if len(plan.ResourceDrift) == 0 {
		t.Fatal("no-changes has no resource_drift: this test no longer tells noise from drift")
	}
	d := review.NewDriftReport("stage dev", plan)
	if d.ExitCode() != 0 || d.Text() != "Drift of stage dev: nothing changed outside Terraform.\n" ||
		d.Markdown() != "### Drift of stage dev\n\nNothing changed outside Terraform.\n" {
		t.Errorf("exit %d, want 0:\n%s\n%s", d.ExitCode(), d.Text(), d.Markdown())
	}

	for _, e := range reviewExpectations {
		r := review.NewReport("stage dev", parsedFixture(t, e.fixture))
		if e.fixture == "rotation" {
			want := []review.DriftedResource{{Address: "aws_secretsmanager_secret_version.master_password",
				Attributes: []review.AttributeChange{{Name: "version_stages", Before: `["master-password"]`, After: `["AWSPREVIOUS"]`}},
				Reverted:   "reverted by this plan"}}
			if !slices.EqualFunc(r.Drift, want, sameDrift) {
				t.Errorf("rotation: drift %+v, want %+v", r.Drift, want)
			}
			continue
		}
		if len(r.Drift) > 0 || strings.Contains(r.Text(), "outside Terraform") || strings.Contains(r.Markdown(), "outside Terraform") {
			t.Errorf("%s: drift %+v; the review:\n%s", e.fixture, r.Drift, r.Text())
		}
	}
}

func sameDrift(a, b review.DriftedResource) bool {
	return a.Address == b.Address && a.Deleted == b.Deleted && a.Reverted == b.Reverted && slices.Equal(a.Attributes, b.Attributes)
}

// Deletion protection turned off in the console, in a plan that turns it
// back on. Dev, the stage the fixtures drift, has it off by design; by
// hand, in terraform show -json's shape.
func TestDriftOfDeletionProtectionIsFlagged(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2",
	  "resource_drift": [{"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
	    "change": {"actions": ["update"], "before": {"deletion_protection": true, "backup_retention_period": 30},
	               "after": {"deletion_protection": false, "backup_retention_period": 30}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}],
	  "resource_changes": [{"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
	    "change": {"actions": ["update"], "before": {"deletion_protection": false, "backup_retention_period": 30},
	               "after": {"deletion_protection": true, "backup_retention_period": 30}, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := review.NewReport("stage production", plan)
	want := []review.DriftedResource{{Address: "aws_rds_cluster.cluster",
		Attributes: []review.AttributeChange{{Name: "deletion_protection", Before: "true", After: "false"}}, Reverted: "reverted by this plan"}}
	if !slices.EqualFunc(r.Drift, want, sameDrift) {
		t.Errorf("drift %+v, want %+v", r.Drift, want)
	}
	// Turning it back on is no risk; its having been turned off is.
	wantRisks := []string{"aws_rds_cluster.cluster: changed outside Terraform: deletion protection turned off: AWS will no longer refuse to delete the cluster"}
	if got := riskLines(r.Risks); !slices.Equal(got, wantRisks) {
		t.Errorf("risks\n got %q\nwant %q", got, wantRisks)
	}
}

// A daily check that finds a reader deleted, an ingress rule added to the
// database's group and a parameter's value changed flags all three, and
// prints no parameter value. moto's refresh reports no rule added to a
// group whose rules are resources of their own; by hand.
func TestDriftCheckFlagsAReaderAnIngressRuleAndAParameter(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2",
	  "configuration": {"root_module": {"resources": [
	    {"address": "aws_security_group.database", "expressions": {"name": {}, "vpc_id": {}}},
	    {"address": "aws_ssm_parameter.resource_arn", "expressions": {"name": {}, "value": {}}}]}},
	  "resource_drift": [
	    {"address": "aws_rds_cluster_instance.reader[0]", "mode": "managed", "type": "aws_rds_cluster_instance", "name": "reader", "index": 0,
	     "change": {"actions": ["delete"], "before": {"identifier": "main-movies-production-reader-0"}, "after": null}},
	    {"address": "aws_security_group.database", "mode": "managed", "type": "aws_security_group", "name": "database",
	     "change": {"actions": ["update"],
	       "before": {"name": "movies-production-database", "description": "was", "ingress": [{"cidr_blocks": ["10.0.0.0/16"], "from_port": 5432, "to_port": 5432, "protocol": "tcp", "security_groups": []}]},
	       "after": {"name": "movies-production-database", "description": "now", "ingress": [{"cidr_blocks": ["10.0.0.0/16"], "from_port": 5432, "to_port": 5432, "protocol": "tcp", "security_groups": []},
	                                                                     {"cidr_blocks": ["0.0.0.0/0"], "from_port": 5432, "to_port": 5432, "protocol": "tcp", "security_groups": []}]},
	       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}},
	    {"address": "aws_ssm_parameter.resource_arn", "mode": "managed", "type": "aws_ssm_parameter", "name": "resource_arn",
	     "change": {"actions": ["update"], "before": {"value": "hunter2-before", "tier": "Standard"}, "after": {"value": "hunter2-after", "tier": "Advanced"},
	       "after_unknown": {}, "before_sensitive": {"value": true}, "after_sensitive": {"value": true}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	d := review.NewDriftReport("stage production", plan)
	wantRisks := []string{
		"aws_rds_cluster_instance.reader[0]: changed outside Terraform: deleted: a reader: its connections drop, and the cluster has one failover target fewer until a new one is up",
		"aws_security_group.database: changed outside Terraform: ingress rules added in AWS, admitting clients the stage's settings do not name: ports 5432-5432 from 0.0.0.0/0",
		"aws_ssm_parameter.resource_arn: changed outside Terraform: value changes: every consumer that reads this parameter is affected",
	}
	if got := riskLines(d.Risks); !slices.Equal(got, wantRisks) {
		t.Errorf("risks\n got %q\nwant %q", got, wantRisks)
	}
	text := d.Text()
	// The group's description and the parameter's tier are arguments the
	// configuration does not set: AWS's, not drift.
	wantLines := []string{
		"  - aws_rds_cluster_instance.reader[0] (deleted in AWS)",
		"  ~ aws_security_group.database",
		`      ingress: [{"cidr_blocks":["10.0.0.0/16"],"from_port":5432,"protocol":"tcp","security_groups":[],"to_port":5432}] in the state, [{"cidr_blocks":["10.0.0.0/16"],"from_port":5432,"protocol":"tcp","security_groups":[],"to_port":5432},{"cidr_blocks":["0.0.0.0/0"],"from_port":5432,"protocol":"tcp","security_groups":[],"to_port":5432}] in AWS`,
		"  ~ aws_ssm_parameter.resource_arn",
		"      value: (sensitive) in the state, (sensitive) in AWS",
		"",
	}
	if !containsLines(text, wantLines) || d.ExitCode() != 2 {
		t.Errorf("exit %d, want 2; text lacks\n%s\nit is:\n%s", d.ExitCode(), strings.Join(wantLines, "\n"), text)
	}
	for _, output := range []string{text, d.Markdown()} {
		if strings.Contains(output, "hunter2") || strings.Contains(output, "description") || strings.Contains(output, "tier") {
			t.Errorf("the output prints a sensitive value or an argument the configuration does not set:\n%s", output)
		}
	}
}

// What a plan does to drift it does not revert: sets it to yet another
// value; keeps it where the configuration now sets AWS's value (adopted);
// keeps it where the configuration sets no constant; and keeps it where the
// configuration sets another constant, which is ignore_changes at work and
// left out.
func TestDriftThePlanDoesNotRevert(t *testing.T) {
	resource := func(address, kind, name, before, after string) string {
		return `{"address": "` + address + `", "mode": "managed", "type": "` + kind + `", "name": "` + name + `", "change": {"actions": ["update"],
		  "before": ` + before + `, "after": ` + after + `, "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}`
	}
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2",
	  "configuration": {"root_module": {"resources": [
	    {"address": "aws_rds_cluster.cluster", "expressions": {"backup_retention_period": {"constant_value": 10}, "engine_version": {"constant_value": "16.6"}}},
	    {"address": "aws_rds_cluster_instance.writer", "expressions": {"performance_insights_retention_period": {"constant_value": 31}}},
	    {"address": "aws_rds_cluster_instance.reader", "expressions": {"instance_class": {"references": ["local.instance_class"]}}}]}},
	  "resource_drift": [` +
		resource("aws_rds_cluster.cluster", "aws_rds_cluster", "cluster", `{"backup_retention_period": 14, "engine_version": "16.6"}`, `{"backup_retention_period": 7, "engine_version": "16.9"}`) + `,` +
		resource("aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", "writer", `{"performance_insights_retention_period": 7}`, `{"performance_insights_retention_period": 31}`) + `,` +
		resource("aws_rds_cluster_instance.reader[0]", "aws_rds_cluster_instance", "reader", `{"instance_class": "db.serverless"}`, `{"instance_class": "db.r6g.large"}`) + `],
	  "resource_changes": [` +
		resource("aws_rds_cluster.cluster", "aws_rds_cluster", "cluster", `{"backup_retention_period": 7, "engine_version": "16.9"}`, `{"backup_retention_period": 10, "engine_version": "16.9"}`) + `,` +
		resource("aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", "writer", `{"performance_insights_retention_period": 31}`, `{"performance_insights_retention_period": 31}`) + `,` +
		resource("aws_rds_cluster_instance.reader[0]", "aws_rds_cluster_instance", "reader", `{"instance_class": "db.r6g.large"}`, `{"instance_class": "db.r6g.large"}`) + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []review.DriftedResource{
		{Address: "aws_rds_cluster.cluster", Attributes: []review.AttributeChange{{Name: "backup_retention_period", Before: "14", After: "7"}},
			Reverted: "not reverted by this plan: backup_retention_period becomes 10"},
		{Address: "aws_rds_cluster_instance.writer", Attributes: []review.AttributeChange{{Name: "performance_insights_retention_period", Before: "7", After: "31"}},
			Reverted: "adopted by this plan: the configuration now sets it as AWS has it"},
		{Address: "aws_rds_cluster_instance.reader[0]", Attributes: []review.AttributeChange{{Name: "instance_class", Before: `"db.serverless"`, After: `"db.r6g.large"`}},
			Reverted: "not reverted by this plan: instance_class stays as AWS has it"},
	}
	if got := review.FindDrift(plan); !slices.EqualFunc(got, want, sameDrift) {
		t.Errorf("drift\n got %+v\nwant %+v", got, want)
	}
}

// A refresh-only plan right after a stage's first deploy lists its secret
// version's labels as drift (AWS moved AWSPREVIOUS), which the stack
// ignores: read from the synthesized stack, such attributes are no drift,
// while an attribute the stack does not ignore still is.
func TestDriftCheckLeavesOutWhatTheStackIgnores(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2",
	  "resource_drift": [
	    {"address": "aws_secretsmanager_secret_version.master_password", "mode": "managed", "type": "aws_secretsmanager_secret_version", "name": "master_password",
	     "change": {"actions": ["update"], "before": {"version_stages": ["master-password"]}, "after": {"version_stages": ["AWSPREVIOUS"]},
	                "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}},
	    {"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
	     "change": {"actions": ["update"], "before": {"iam_database_authentication_enabled": true, "backup_retention_period": 7},
	                "after": {"iam_database_authentication_enabled": false, "backup_retention_period": 1},
	                "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := review.NewDriftReport("stage dev", plan); len(got.Drift) != 2 || got.ExitCode() != 2 {
		t.Fatalf("without the stack's ignore_changes: %d drifted, exit %d; want both, exit 2", len(got.Drift), got.ExitCode())
	}
	stack := []byte(`{"resource": {
	  "aws_secretsmanager_secret_version": {"master_password": {"lifecycle": {"ignore_changes": ["version_stages"]}}},
	  "aws_rds_cluster": {"cluster": {"lifecycle": {"ignore_changes": ["restore_to_point_in_time", "iam_database_authentication_enabled", "tags[\"owner\"]"]}}},
	  "aws_ssm_parameter": {"resource_arn": {}}}}`)
	plan.IgnoredChanges, err = review.IgnoredChanges(stack)
	if err != nil {
		t.Fatal(err)
	}
	r := review.NewDriftReport("stage dev", plan)
	want := []review.DriftedResource{{Address: "aws_rds_cluster.cluster",
		Attributes: []review.AttributeChange{{Name: "backup_retention_period", Before: "7", After: "1"}}}}
	if !slices.EqualFunc(r.Drift, want, sameDrift) || r.ExitCode() != 2 {
		t.Errorf("drift %+v (exit %d), want the backups alone %+v", r.Drift, r.ExitCode(), want)
	}
	if ignored := plan.IgnoredChanges["aws_rds_cluster.cluster"]; !slices.Equal(ignored, []string{"restore_to_point_in_time", "iam_database_authentication_enabled", "tags"}) {
		t.Errorf("the cluster's ignored attributes: %q", ignored)
	}
}

// A plan that changes the cluster plans nothing for the consumers' access
// policy: its document names the cluster by the ARN AWS builds, not by the
// cluster's attribute, which made Terraform read it only at apply and
// show the policy updated in every such plan (the scaling fixture, made
// before, still shows it).
func TestACapacityChangeLeavesTheAccessPolicyAlone(t *testing.T) {
	for name, wantPolicy := range map[string]bool{"capacity-change": false, "scaling": true} {
		r := review.NewReport("stage dev", parsedFixture(t, name))
		var changed []string
		for _, c := range r.Changes {
			changed = append(changed, c.Address)
		}
		if slices.Contains(changed, "aws_iam_policy.access") != wantPolicy || !slices.Contains(changed, "aws_rds_cluster.cluster") {
			t.Errorf("%s: changes %v; want the cluster, and the access policy %v", name, changed, wantPolicy)
		}
	}
}
