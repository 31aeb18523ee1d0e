package tests

import (
	"strings"
	"testing"

	"aurora-stages/review"
	"aurora-stages/settings"
)

// A stage made from another's data: flagged, naming the source, when the
// plan creates its cluster; a note that the setting does nothing when the
// cluster exists and stays; nothing for a stage without it.
func TestReviewOfAStageFromAnothersData(t *testing.T) {
	parse := func(name string) *review.Plan {
		plan, err := review.ParsePlan(planFixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return plan
	}
	clone := settings.StageConfig{Stage: "pr-7", RestoreFrom: &settings.RestoreFrom{Stage: "dev"}}
	pointInTime := settings.StageConfig{Stage: "staging", RestoreFrom: &settings.RestoreFrom{Stage: "production", Time: "2026-11-30T10:00:00Z"}, AllowProductionData: true}

	// master-username replaces the cluster: a new one is created.
	risks, notes := review.RestoreFindings(clone, parse("master-username"))
	if len(risks) != 1 || len(notes) != 0 || risks[0].Address != "aws_rds_cluster.cluster" ||
		risks[0].Reason != "created from another stage's data, as the clone of stage dev: the new cluster starts with its source's data and users, with a master password of its own" {
		t.Errorf("a clone's cluster created: risks %v, notes %v", risks, notes)
	}
	risks, _ = review.RestoreFindings(pointInTime, parse("master-username"))
	if len(risks) != 1 || !strings.Contains(risks[0].Reason, "point-in-time restore of stage production at 2026-11-30T10:00:00Z") || !strings.Contains(risks[0].Reason, "allowProductionData is set") {
		t.Errorf("a point-in-time restore of production: risks %v", risks)
	}

	// scaling updates the cluster in place.
	risks, notes = review.RestoreFindings(clone, parse("scaling"))
	if len(risks) != 0 || len(notes) != 1 || !strings.HasPrefix(notes[0], "restoreFrom (clone of stage dev) acts only when the cluster is created: this plan does not create it") {
		t.Errorf("a deployed clone: risks %v, notes %v", risks, notes)
	}

	if risks, notes := review.RestoreFindings(settings.StageConfig{Stage: "dev"}, parse("master-username")); risks != nil || notes != nil {
		t.Errorf("a stage without restoreFrom: risks %v, notes %v", risks, notes)
	}

	// The notes come before the risks in both formats.
	report := review.NewReport("stage pr-7", parse("scaling"))
	_, report.Notes = review.RestoreFindings(clone, parse("scaling"))
	text, markdown := report.Text(), report.Markdown()
	if !strings.Contains(text, "\nNotes:\n  - restoreFrom (clone of stage dev) acts only when") || !strings.Contains(markdown, "\n**Notes:**\n\n- restoreFrom (clone of stage dev) acts only when") {
		t.Errorf("notes not rendered:\n%s\n%s", text, markdown)
	}
}
