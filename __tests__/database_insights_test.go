package tests

// Database Insights: a stage in advanced mode sets it on the cluster with
// Performance Insights on at the cluster (what advanced reads), a standard
// stage sets standard alone; and the review lists advanced's price, or
// says it is unpriced.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aurora-stages/review"
	"aurora-stages/settings"
	"aurora-stages/stacks"
)

func TestDatabaseInsightsModeOnTheCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	context := withStages(`{"dev": {}, "analytics": {"databaseInsightsMode": "advanced", "performanceInsightsRetentionDays": 465}}`)
	parsed, err := settings.ParseContext([]byte(context), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := parsed.Resolve([]string{"dev", "analytics"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := stacks.Synthesize(dir, resolved, nil); err != nil {
		t.Fatal(err)
	}
	cluster := func(stage string) map[string]any {
		var stack struct {
			Resource map[string]map[string]map[string]any `json:"resource"`
		}
		data, err := os.ReadFile(filepath.Join(dir, "stacks", stage, "cdk.tf.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &stack); err != nil {
			t.Fatal(err)
		}
		return stack.Resource["aws_rds_cluster"]["cluster"]
	}
	if c := cluster("analytics"); c["database_insights_mode"] != "advanced" || c["performance_insights_enabled"] != true || c["performance_insights_retention_period"] != 465.0 {
		t.Errorf("advanced stage's cluster: mode %v, Performance Insights %v for %v days; want advanced, true, 465", c["database_insights_mode"], c["performance_insights_enabled"], c["performance_insights_retention_period"])
	}
	if c := cluster("dev"); c["database_insights_mode"] != "standard" || c["performance_insights_enabled"] != nil {
		t.Errorf("standard stage's cluster: mode %v, Performance Insights %v; want standard, and nothing at the cluster", c["database_insights_mode"], c["performance_insights_enabled"])
	}
}

func TestReviewPricesDatabaseInsightsAdvanced(t *testing.T) {
	plan, err := review.ParsePlan([]byte(`{"format_version": "1.2", "resource_changes": [{"address": "aws_rds_cluster.cluster", "mode": "managed", "type": "aws_rds_cluster", "name": "cluster",
	  "change": {"actions": ["update"], "before": {"database_insights_mode": "standard", "storage_type": "aurora"}, "after": {"database_insights_mode": "advanced", "storage_type": "aurora"}, "after_unknown": {}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	costs := review.EstimateCosts(plan, "us-east-1", costTable(t), costClock)
	want := "Database Insights in advanced mode, on every ACU-hour of the instances: unpriced (no sourced price in the table)"
	if !strings.Contains(strings.Join(costs.UsageBased, "\n"), want) {
		t.Errorf("billed by use:\n%s\nwant %q", strings.Join(costs.UsageBased, "\n"), want)
	}
}
