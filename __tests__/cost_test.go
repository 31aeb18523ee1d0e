package tests

// The review's cost section: exact arithmetic on small plans built here,
// at the us-east-1 prices of a frozen copy of the price table, 730 hours a
// month. The table itself (internal/prices/prices.json) is checked apart:
// the monthly prices workflow regenerates it and runs these tests, which
// must not depend on its figures.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/prices"
	"aurora-stages/review"
)

var costClock = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// resourceChange is one entry of a hand-written plan: before and after as
// JSON objects ("null" where the resource does not exist).
type resourceChange struct {
	address, typ           string
	actions                string
	before, after, unknown string
}

// planOf writes a plan of the given changes in the region.
func planOf(t *testing.T, region string, changes ...resourceChange) *review.Plan {
	t.Helper()
	var parts []string
	for _, c := range changes {
		unknown := c.unknown
		if unknown == "" {
			unknown = "{}"
		}
		parts = append(parts, `{"address": "`+c.address+`", "mode": "managed", "type": "`+c.typ+`", "change": {"actions": `+c.actions+`, "before": `+c.before+`, "after": `+c.after+`, "after_unknown": `+unknown+`}}`)
	}
	data := `{"format_version": "1.2", "resource_changes": [` + strings.Join(parts, ",") + `],
	  "configuration": {"provider_config": {"aws": {"expressions": {"region": {"constant_value": "` + region + `"}}}}}}`
	plan, err := review.ParsePlan([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid([]byte(data)) {
		t.Fatal("not JSON")
	}
	return plan
}

func cluster(minACU, maxACU float64, storage string) string {
	b, _ := json.Marshal(map[string]any{
		"serverlessv2_scaling_configuration": []any{map[string]any{"min_capacity": minACU, "max_capacity": maxACU}},
		"storage_type":                       storage, "enabled_cloudwatch_logs_exports": []any{},
	})
	return string(b)
}

const serverless = `{"instance_class": "db.serverless", "performance_insights_retention_period": 7, "monitoring_interval": 0}`

// costTable is the price table as it was transcribed (dated 2024-07-01 in
// us-east-1), kept in __tests__/testdata/costs/prices.json for the cost
// tests' arithmetic.
func costTable(t *testing.T) *prices.Table {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "costs", "prices.json"))
	if err != nil {
		t.Fatal(err)
	}
	table, err := prices.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func costsOf(t *testing.T, plan *review.Plan) *review.Costs {
	t.Helper()
	return review.EstimateCosts(plan, plan.Region(), costTable(t), costClock)
}

func TestCostOfAStage(t *testing.T) {
	create := `["create"]`
	// dev's first deploy: 0 to 4 ACU at $0.12, and its secret ($0.40).
	dev := costsOf(t, planOf(t, "us-east-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", create, "null", cluster(0, 4, "aurora"), ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", create, "null", serverless, ""},
		resourceChange{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", create, "null", "{}", ""},
		resourceChange{"aws_ssm_parameter.resource_arn", "aws_ssm_parameter", create, "null", "{}", ""},
	))
	if got := dev.Before.String() + " -> " + dev.After.String(); got != "$0.00 -> $0.40 to $350.80" {
		t.Errorf("dev's first deploy: %s, want $0.00 -> $0.40 to $350.80 (4 ACU x 730 h x $0.12 + $0.40)", got)
	}
	if dev.Lines[0].After.String() != "0 when paused to $350.40" || dev.Published != "2024-07-01" || len(dev.Free) != 1 {
		t.Errorf("writer %s, published %s, free %v", dev.Lines[0].After, dev.Published, dev.Free)
	}

	// production unchanged: 0 to 256 ACU, a reader, its key and the secret.
	same := `["no-op"]`
	production := costsOf(t, planOf(t, "us-east-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", same, cluster(0, 256, "aurora"), cluster(0, 256, "aurora"), ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", same, serverless, serverless, ""},
		resourceChange{"aws_rds_cluster_instance.reader_1", "aws_rds_cluster_instance", same, serverless, serverless, ""},
		resourceChange{"aws_kms_key.database", "aws_kms_key", same, "{}", "{}", ""},
		resourceChange{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", same, "{}", "{}", ""},
	))
	// 256 x 730 x 0.12 = 22425.60 per instance.
	if got := production.After.String(); got != "$1.40 to $44852.60" || production.Before.String() != got || production.Note != "" {
		t.Errorf("production: before %s, after %s, note %q; want $1.40 to $44852.60 both, no note", production.Before, got, production.Note)
	}

	// Switching to I/O-Optimized: the ACU price, and no I/O line.
	update := `["update"]`
	iopt := costsOf(t, planOf(t, "us-east-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", update, cluster(0, 4, "aurora"), cluster(0, 4, "aurora-iopt1"), ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", same, serverless, serverless, ""},
	))
	if got := iopt.Before.String() + " -> " + iopt.After.String(); got != "0 when paused to $350.40 -> 0 when paused to $467.20" {
		t.Errorf("I/O-Optimized: %s, want 0 when paused to $350.40 -> 0 when paused to $467.20 (4 x 730 x $0.16)", got)
	}
	usage := strings.Join(iopt.UsageBased, "\n")
	if !strings.Contains(usage, "I/O: none on I/O-Optimized storage") || !strings.Contains(usage, "storage (I/O-Optimized): $0.225 per GB-month") || strings.Contains(usage, "million requests") {
		t.Errorf("usage-based lines of an I/O-Optimized cluster:\n%s", usage)
	}
	// +$116.80 on a $350.40 ceiling is 33%: noted, naming the setting.
	if iopt.Note != "the monthly ceiling rises by $116.80 (+33%), to $467.20: storageType (aws_rds_cluster.cluster.storage_type)" {
		t.Errorf("note %q", iopt.Note)
	}

	// A destroy: after is 0.
	destroy := costsOf(t, planOf(t, "us-east-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", `["delete"]`, cluster(0, 4, "aurora"), "null", ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", `["delete"]`, serverless, "null", ""},
	))
	if destroy.After.String() != "$0.00" || destroy.Before.String() != "0 when paused to $350.40" {
		t.Errorf("destroy: %s -> %s", destroy.Before, destroy.After)
	}

	// A value known only after apply stays unknown.
	unknown := costsOf(t, planOf(t, "us-east-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", create, "null", `{"serverlessv2_scaling_configuration": [{"min_capacity": 0, "max_capacity": 4}]}`, `{"storage_type": true}`},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", create, "null", serverless, ""},
	))
	if unknown.After.String() != "unknown until applied" || unknown.Lines[0].After.String() != "unknown until applied" {
		t.Errorf("unknown storage type: %s", unknown.After)
	}

	// eu-west-1 is priced in part: its secret, not its capacity (no
	// source gave it). The capacity stays unpriced, and so the total,
	// rather than take us-east-1's price.
	ireland := costsOf(t, planOf(t, "eu-west-1",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", create, "null", cluster(0, 4, "aurora"), ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", create, "null", serverless, ""},
		resourceChange{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", create, "null", "{}", ""},
	))
	if ireland.Published != "2026-09-11" || ireland.After.String() != "unpriced" || ireland.Lines[0].After.String() != "unpriced" ||
		ireland.Lines[1].After.String() != "$0.40" || ireland.Lines[1].What != "Secrets Manager secret at $0.40 per secret-month" {
		t.Errorf("eu-west-1: published %s, total %s, lines %+v", ireland.Published, ireland.After, ireland.Lines)
	}

	// A region the table does not cover is unpriced, never priced as
	// another region.
	elsewhere := costsOf(t, planOf(t, "ap-south-2",
		resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", create, "null", cluster(0, 4, "aurora"), ""},
		resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", create, "null", serverless, ""},
	))
	var text strings.Builder
	report := review.NewReport("stage dev", &review.Plan{FormatVersion: "1.2"})
	report.Costs = elsewhere
	text.WriteString(report.Text())
	if elsewhere.After.String() != "unpriced" || !strings.Contains(text.String(), `Monthly cost: unpriced, the price table has no prices for region "ap-south-2"`) {
		t.Errorf("unknown region: %s\n%s", elsewhere.After, text.String())
	}
}

// The table: every entry dated, with its unit and source; the date is
// printed; an old table gives one warning line. Checked against whatever
// date the committed table has, so that it holds for a regenerated one.
func TestThePriceTable(t *testing.T) {
	table, err := prices.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(table.Prices) == 0 {
		t.Fatal("the price table is empty")
	}
	if _, err := prices.Parse([]byte(`{"prices": [{"name": "kms-key-month", "region": "us-east-1", "service": "awskms", "usageType": "KMS-Keys", "unit": "key-month", "usd": "1", "source": "x"}]}`)); err == nil || !strings.Contains(err.Error(), "is not a date") {
		t.Errorf("an entry without a date: %v", err)
	}
	if _, err := prices.Parse([]byte(`{"prices": [{"name": "kms-key-month", "region": "us-east-1", "service": "awskms", "usageType": "KMS-Keys", "usd": "1", "source": "x", "published": "2026-01-01"}]}`)); err == nil || !strings.Contains(err.Error(), "unit") {
		t.Errorf("an entry without a unit: %v", err)
	}
	// A misspelt name would leave its price unused, silently.
	if _, err := prices.Parse([]byte(`{"prices": [{"name": "kms-keys-month", "region": "us-east-1", "service": "awskms", "usageType": "KMS-Keys", "unit": "key-month", "usd": "1", "source": "x", "published": "2026-01-01"}]}`)); err == nil || !strings.Contains(err.Error(), `no price of the review is named "kms-keys-month"`) {
		t.Errorf("an entry of an unknown name: %v", err)
	}
	// us-east-1 is cdktf.json's default region: the table prices it.
	published, err := time.Parse(time.DateOnly, table.Published("us-east-1"))
	if err != nil {
		t.Fatalf("the table has no date for us-east-1: %v", err)
	}
	date := published.Format(time.DateOnly)
	stalePast := published.Add(prices.MaxAge + 24*time.Hour)
	if stale := table.Stale("us-east-1", stalePast); !strings.HasPrefix(stale, "warning: the us-east-1 prices date from "+date+", more than a year ago") {
		t.Errorf("stale a year and a day after %s: %q", date, stale)
	}
	if fresh := table.Stale("us-east-1", published.Add(prices.MaxAge-24*time.Hour)); fresh != "" {
		t.Errorf("fresh prices warned: %q", fresh)
	}
	plan := planOf(t, "us-east-1", resourceChange{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", `["create"]`, "null", "{}", ""})
	report := review.NewReport("stage dev", plan)
	report.Costs = review.EstimateCosts(plan, "us-east-1", table, stalePast)
	for _, out := range []string{report.Text(), report.Markdown()} {
		if !strings.Contains(out, "Monthly cost at list prices of "+date+", us-east-1 (730 hours a month)") || !strings.Contains(out, "warning: the us-east-1 prices date from "+date) {
			t.Errorf("the cost section lacks its date or warning:\n%s", out)
		}
	}
}

// Every real plan's review, text and Markdown (the pull-request comment),
// ends with the cost section. The fixtures were made against moto, which
// reports the storage type as gp2: their capacity is unpriced, the secret
// priced.
func TestEveryReviewEndsWithItsCost(t *testing.T) {
	table := costTable(t)
	for _, e := range reviewExpectations {
		plan, err := review.ParsePlan(planFixture(t, e.fixture))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Region() != "us-east-1" {
			t.Errorf("%s: region %q read from the plan's provider configuration, want us-east-1", e.fixture, plan.Region())
		}
		report := review.NewReport("stage dev", plan)
		report.Costs = review.EstimateCosts(plan, plan.Region(), table, costClock)
		text, markdown := report.Text(), report.Markdown()
		if !strings.Contains(text, "\nMonthly cost at list prices of 2024-07-01, us-east-1 (730 hours a month):\n") ||
			!strings.Contains(markdown, "\n#### Monthly cost at list prices of 2024-07-01, us-east-1 (730 hours a month)\n") ||
			!strings.Contains(markdown, "| `aws_secretsmanager_secret.credentials` | fixed: Secrets Manager secret at $0.40 per secret-month |") {
			t.Errorf("%s: the review does not end with its cost:\n%s", e.fixture, markdown)
		}
		if verdict := max(strings.Index(text, "No risks flagged."), strings.Index(text, "RISKS (")); verdict < 0 || strings.Index(text, "Monthly cost") < verdict {
			t.Errorf("%s: the cost section does not follow the verdict:\n%s", e.fixture, text)
		}
	}
}

// A rise of the ceiling above 25% or $100 is noted, naming the stage
// settings that caused it and what they changed in the plan; a smaller one
// is not.
func TestCostNoteNamesTheSettings(t *testing.T) {
	same, update, create := `["no-op"]`, `["update"]`, `["create"]`
	dev := func(maxACU float64, extra ...resourceChange) *review.Costs {
		return costsOf(t, planOf(t, "us-east-1", append([]resourceChange{
			{"aws_rds_cluster.cluster", "aws_rds_cluster", update, cluster(0, 4, "aurora"), cluster(0, maxACU, "aurora"), ""},
			{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", same, serverless, serverless, ""},
			{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", same, "{}", "{}", ""},
		}, extra...)...))
	}
	for _, test := range []struct {
		name  string
		costs *review.Costs
		note  string
	}{
		// 4 to 5 ACU: +$87.60 on $350.80, 24.97%: below both.
		{"one more ACU", dev(5), ""},
		// 4 to 5.5 ACU: +$131.40, above $100.
		{"one and a half more ACU", dev(5.5), "the monthly ceiling rises by $131.40 (+37%), to $482.20: maxCapacity (aws_rds_cluster.cluster.serverlessv2_scaling_configuration)"},
		// 16 ACU on the writer and a new reader: 2 x 16 x 730 x $0.12 =
		// $2803.20, the key $1.00, the secret $0.40 and the reader's alarm
		// $0.10.
		{"more capacity, a reader and a key", dev(16,
			resourceChange{"aws_rds_cluster_instance.reader_1", "aws_rds_cluster_instance", create, "null", serverless, ""},
			resourceChange{"aws_kms_key.key", "aws_kms_key", create, "null", "{}", ""},
			resourceChange{"aws_cloudwatch_metric_alarm.cpu_high_reader_1", "aws_cloudwatch_metric_alarm", create, "null", "{}", ""},
		), "the monthly ceiling rises by $2453.90 (+700%), to $2804.70: kmsKey (aws_kms_key.key added), maxCapacity (aws_rds_cluster.cluster.serverlessv2_scaling_configuration), readers (aws_cloudwatch_metric_alarm.cpu_high_reader_1 added, aws_rds_cluster_instance.reader_1 added)"},
		// A first deploy rises from $0: no share, the stage itself.
		{"a new stage", costsOf(t, planOf(t, "us-east-1",
			resourceChange{"aws_rds_cluster.cluster", "aws_rds_cluster", create, "null", cluster(0, 4, "aurora"), ""},
			resourceChange{"aws_rds_cluster_instance.writer", "aws_rds_cluster_instance", create, "null", serverless, ""},
			resourceChange{"aws_secretsmanager_secret.credentials", "aws_secretsmanager_secret", create, "null", "{}", ""},
		)), "the monthly ceiling rises by $350.80, to $350.80: the stage itself (aws_rds_cluster.cluster added, aws_rds_cluster_instance.writer added, aws_secretsmanager_secret.credentials added)"},
		// Lowering the ceiling is never noted.
		{"less capacity", dev(2), ""},
	} {
		if test.costs.Note != test.note {
			t.Errorf("%s: note\n  %q\nwant\n  %q", test.name, test.costs.Note, test.note)
		}
	}
}

// costFixture is the scaling plan (dev's maxCapacity 4 -> 8, made against
// moto) with the cluster's storage type as AWS reports a Standard cluster's,
// aurora, in place of moto's gp2, so that its capacity is priced: the
// example of docs/review.md. make plan-fixtures writes it with the plans.
var costFixture = filepath.Join("testdata", "costs", "scaling.json")

// asAWSReportsStorage is a plan with every storage_type of gp2, which AWS
// never reports for an Aurora cluster, read as aurora.
func asAWSReportsStorage(t *testing.T, plan []byte) []byte {
	t.Helper()
	var values any
	if err := json.Unmarshal(plan, &values); err != nil {
		t.Fatal(err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for key, value := range v {
				if key == "storage_type" && value == "gp2" {
					v[key] = "aurora"
					continue
				}
				walk(value)
			}
		case []any:
			for _, value := range v {
				walk(value)
			}
		}
	}
	walk(values)
	data, err := json.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	return append(data, '\n')
}

func writeCostFixture(t *testing.T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(costFixture), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(costFixture, asAWSReportsStorage(t, planFixture(t, "scaling")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The cost fixture is the scaling plan but for the storage type, and only
// that changed: its cluster had gp2 on both sides.
func TestCostFixtureIsTheScalingPlan(t *testing.T) {
	got, err := os.ReadFile(costFixture)
	if err != nil {
		t.Fatalf("%v (make plan-fixtures writes it)", err)
	}
	if want := asAWSReportsStorage(t, planFixture(t, "scaling")); !bytes.Equal(got, want) {
		t.Errorf("%s is not testdata/plans/scaling.json with its storage types read as aurora; make plan-fixtures rewrites it", costFixture)
	}
	var plan struct {
		ResourceChanges []struct {
			Address string
			Change  struct {
				Before, After struct {
					StorageType string `json:"storage_type"`
				}
			}
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(planFixture(t, "scaling"), &plan); err != nil {
		t.Fatal(err)
	}
	for _, rc := range plan.ResourceChanges {
		if rc.Address == "aws_rds_cluster.cluster" && (rc.Change.Before.StorageType != "gp2" || rc.Change.After.StorageType != "gp2") {
			t.Errorf("the scaling plan's cluster has storage type %q before and %q after, not moto's gp2: see what the emulator reports now", rc.Change.Before.StorageType, rc.Change.After.StorageType)
		}
	}
	if bytes.Contains(got, []byte(`"gp2"`)) {
		t.Errorf("%s still has a gp2 storage type", costFixture)
	}
}

// docs/review.md shows the cost section on the cost fixture (held word
// for word to the review's output by TestReviewExamplesAreCurrent).
func TestTheCostExampleIsCurrent(t *testing.T) {
	command := "go run ./cmd/review --stage dev --plan-json __tests__/testdata/costs/scaling.json"
	example, ok := reviewExamples(t)[command]
	if !ok {
		t.Fatalf("docs/review.md has no example of %q", command)
	}
	for _, says := range []string{"0 when paused to $700.80", "maxCapacity (aws_rds_cluster.cluster.serverlessv2_scaling_configuration)", "difference: +$0.00 to +$350.40 a month"} {
		if !strings.Contains(example, says) {
			t.Errorf("the example does not say %q", says)
		}
	}
}

// costSection is the review's cost section, text, from its heading on.
func costSection(t *testing.T, plan *review.Plan, costs *review.Costs) string {
	t.Helper()
	report := review.NewReport("stage dev", plan)
	report.Costs = costs
	text := report.Text()
	at := strings.Index(text, "\nMonthly cost")
	if at < 0 {
		t.Fatalf("no cost section:\n%s", text)
	}
	return text[at:]
}

// A plan made against the emulator has moto's gp2 for the cluster's
// storage type, or none before the first deploy: the review of a local
// stage prices its capacity as the stage's storageType, in one line that
// says so, and otherwise as AWS's storage type would be priced. The
// plans are the real moto fixtures.
func TestCostOfAPlanMadeAgainstTheEmulator(t *testing.T) {
	table := costTable(t)
	parse := func(data []byte) *review.Plan {
		plan, err := review.ParsePlan(data)
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	const standardLine = "emulator: moto knows no Aurora storage type (the plan says gp2), so the capacity is priced as the stage's storageType, aurora, as AWS would bill it"

	// Priced as the same plan is with the storage type AWS reports
	// (docs/review.md's cost example), but for the one line.
	scaling := parse(planFixture(t, "scaling"))
	if unpriced := review.EstimateCosts(scaling, "us-east-1", table, costClock); unpriced.Lines[0].After.String() != "unpriced" || unpriced.Emulated != "" {
		t.Fatalf("the scaling plan priced as it is: writer %s, line %q; want unpriced and no line", unpriced.Lines[0].After, unpriced.Emulated)
	}
	emulated := review.EstimateEmulatedCosts(scaling, "us-east-1", "aurora", table, costClock)
	if emulated.Emulated != standardLine {
		t.Errorf("the emulator's line:\n  %q\nwant\n  %q", emulated.Emulated, standardLine)
	}
	asOnAWS := parse(asAWSReportsStorage(t, planFixture(t, "scaling")))
	want := costSection(t, asOnAWS, review.EstimateCosts(asOnAWS, "us-east-1", table, costClock))
	heading, rest, _ := strings.Cut(want, "more than a year ago: regenerate the table with go run ./cmd/prices\n")
	want = heading + "more than a year ago: regenerate the table with go run ./cmd/prices\n" + standardLine + "\n" + rest
	if got := costSection(t, scaling, emulated); got != want {
		t.Errorf("the emulator's plan's cost section:\n%s\nwant (the AWS-shaped plan's, and the one line):\n%s", got, want)
	}
	if !strings.Contains(want, "before 0 when paused to $350.40, after 0 when paused to $700.80") || strings.Count(want, "emulator:") != 1 {
		t.Errorf("the expected section is not what this test means:\n%s", want)
	}
	if emulated.Note != "the monthly ceiling rises by $350.40 (+100%), to $701.20: maxCapacity (aws_rds_cluster.cluster.serverlessv2_scaling_configuration)" {
		t.Errorf("the ceiling's note: %q", emulated.Note)
	}
	report := review.NewReport("stage dev", scaling)
	report.Costs = emulated
	if markdown := report.Markdown(); !strings.Contains(markdown, "\n> "+standardLine+"\n\n| resource |") {
		t.Errorf("the Markdown review lacks the emulator's line above the table:\n%s", markdown)
	}

	// An I/O-Optimized stage: its ACU price, and no I/O line.
	iopt := review.EstimateEmulatedCosts(scaling, "us-east-1", "aurora-iopt1", table, costClock)
	if got := iopt.Before.String() + " -> " + iopt.After.String(); got != "$0.40 to $467.60 -> $0.40 to $934.80" ||
		!strings.HasSuffix(iopt.Emulated, "priced as the stage's storageType, aurora-iopt1, as AWS would bill it") ||
		!slices.Contains(iopt.UsageBased, "I/O: none on I/O-Optimized storage") {
		t.Errorf("I/O-Optimized: %s, line %q, billed by use %q; want $0.40 to $467.60 -> $0.40 to $934.80 (4 and 8 x 730 x $0.16 + $0.40)", got, iopt.Emulated, iopt.UsageBased)
	}

	// The cluster replaced: moto's gp2 before, none after (the storage
	// type is not sent to moto): both priced.
	replaced := review.EstimateEmulatedCosts(parse(planFixture(t, "master-username")), "us-east-1", "aurora", table, costClock)
	if got := replaced.Lines[0].Before.String() + " -> " + replaced.Lines[0].After.String(); got != "0 when paused to $350.40 -> 0 when paused to $350.40" ||
		!strings.Contains(replaced.Emulated, "(the plan says gp2, then known only after apply)") {
		t.Errorf("the replaced cluster's writer: %s, line %q", got, replaced.Emulated)
	}

	// A plan that already has the stage's storage type needs no line, and
	// is priced as it is.
	same := review.EstimateEmulatedCosts(asOnAWS, "us-east-1", "aurora", table, costClock)
	if got, want := costSection(t, asOnAWS, same), costSection(t, asOnAWS, review.EstimateCosts(asOnAWS, "us-east-1", table, costClock)); same.Emulated != "" || got != want {
		t.Errorf("a plan with the storage type configured, line %q:\n%s\nwant\n%s", same.Emulated, got, want)
	}
}

// docs/review.md shows the line a local review of dev adds, as the review
// makes it from a real plan of dev deployed to moto (no changes).
func TestTheEmulatorCostLineIsDocumented(t *testing.T) {
	plan, err := review.ParsePlan(planFixture(t, "no-changes"))
	if err != nil {
		t.Fatal(err)
	}
	line := review.EstimateEmulatedCosts(plan, "us-east-1", "aurora", costTable(t), costClock).Emulated
	if line == "" {
		t.Fatal("no line for dev's plan against the emulator")
	}
	doc, err := os.ReadFile(filepath.Join(repoRootPath, "docs", "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "\n```\n"+line+"\n```\n") {
		t.Errorf("docs/review.md does not show the emulator's line as the review prints it:\n%s", line)
	}
}

// The review of a stage planned against the emulator (its settings have a
// local endpoint) prices the capacity as the stage's storageType and says
// so; the same plan of a stage on AWS is priced as it is. Planned with
// the fake terraform, whose plan is dev's, made against moto.
func TestCostOfALocalReview(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	t.Parallel()
	const line = "emulator: moto knows no Aurora storage type (the plan says gp2), so the capacity is priced as the stage's storageType, aurora, as AWS would bill it\n"
	for _, tc := range []struct {
		what, endpoint string
		says, lacks    string
	}{
		{"local", "http://127.0.0.1:9", line + "  aws_rds_cluster_instance.writer (capacity: db.serverless, 0 to 4 ACU, Standard storage at $0.12 per ACU-hour)\n", "storage type gp2 is not priced here"},
		{"on AWS", "", "  aws_rds_cluster_instance.writer (capacity: storage type gp2 is not priced here)\n", "emulator:"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			if err := os.WriteFile(filepath.Join(bin, "terraform"), []byte(fakeTerraform), 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(goBinary(t, "./cmd/review"), "--stage", "dev", "--outdir", filepath.Join(t.TempDir(), "cdktf.out"))
			cmd.Dir = repoRootPath
			cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
				"DB_LOCAL_ENDPOINT="+tc.endpoint, "AWS_EC2_METADATA_DISABLED=true",
				"FAKE_TERRAFORM_PLAN="+filepath.Join(repoRootPath, "__tests__", "testdata", "plans", "no-changes.json"))
			code, stdout, stderr := runCommand(t, cmd)
			if !strings.Contains(stdout, "\nMonthly cost at list prices of ") || !strings.Contains(stdout, tc.says) || strings.Contains(stdout, tc.lacks) {
				t.Errorf("exit %d; the cost section does not say %q, or says %q:\n%s\n%s", code, tc.says, tc.lacks, stdout, tail(stderr, 20))
			}
		})
	}
}
