package tests

// The deploy applies the plan that was reviewed: per stage a plan job
// (review role, no environment) that reviews, summarizes and uploads the
// saved plan, and an apply job (deploy role, the stage's environment) that
// downloads that artifact and applies it with cmd/apply. Read from the
// workflows as actionlint parses them; the steps' scripts run by bash with
// a fake go standing for the project's commands.

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func jobNeeds(job *actionlint.Job) []string {
	var needs []string
	for _, need := range job.Needs {
		needs = append(needs, need.Value)
	}
	return needs
}

func TestDeployWorkflowAppliesTheReviewedPlan(t *testing.T) {
	workflow, source := readWorkflow(t, "deploy-stage.yml")
	var ids []string
	for id := range workflow.Jobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"apply", "plan"}) {
		t.Fatalf("deploy-stage.yml has the jobs %q, want apply and plan", ids)
	}
	plan, apply := workflow.Jobs["plan"], workflow.Jobs["apply"]

	// The apply waits for the plan, and runs only if the plan succeeded:
	// an if of its own (always(), failure()) could apply without one.
	if needs := jobNeeds(plan); len(needs) != 0 {
		t.Errorf("the plan job needs %q, want nothing", needs)
	}
	if needs := jobNeeds(apply); !slices.Equal(needs, []string{"plan"}) {
		t.Errorf("the apply job needs %q, want [plan]", needs)
	}
	if apply.If != nil {
		t.Errorf("the apply job has the if %q: it must run only when the plan succeeded", apply.If.Value)
	}
	// Only the apply waits for the environment's approval: the plan job
	// must be done, its review on the run page, before anyone approves.
	if plan.Environment != nil {
		t.Errorf("the plan job has the environment %q, want none", plan.Environment.Name.Value)
	}
	if apply.Environment == nil || apply.Environment.Name.Value != "${{ inputs.stage }}" {
		t.Error("the apply job's environment must be ${{ inputs.stage }}, production's with its required reviewers")
	}
	if role := awsCredentials(plan, "role-to-assume"); role != "${{ vars[inputs.review_role_variable] }}" {
		t.Errorf("the plan job assumes %q, want the stage's review role ${{ vars[inputs.review_role_variable] }}", role)
	}
	if role := awsCredentials(apply, "role-to-assume"); role != "${{ vars[inputs.deploy_role_variable] }}" {
		t.Errorf("the apply job assumes %q, want the stage's deploy role ${{ vars[inputs.deploy_role_variable] }}", role)
	}

	// Nothing plans at deploy time.
	if strings.Contains(source, "cdktf deploy") {
		t.Error("deploy-stage.yml still runs cdktf deploy, which plans again at deploy time")
	}
	if script := runScript(apply); strings.Contains(script, "npm") || strings.Contains(script, "npx") {
		t.Errorf("the apply job runs Node.js, which only a synthesis needs:\n%s", script)
	}

	// terraform refuses a saved plan made by another version of itself.
	_, planTerraform := actionStep(plan, "hashicorp/setup-terraform")
	_, applyTerraform := actionStep(apply, "hashicorp/setup-terraform")
	if planTerraform["terraform_version"] == "" || planTerraform["terraform_version"] != applyTerraform["terraform_version"] {
		t.Errorf("the plan job sets up terraform %q, the apply job %q: want one version, named", planTerraform["terraform_version"], applyTerraform["terraform_version"])
	}

	// What the plan job saves and uploads is what the apply job downloads
	// and applies.
	upload, uploaded := actionStep(plan, "actions/upload-artifact")
	download, downloaded := actionStep(apply, "actions/download-artifact")
	if upload == nil || download == nil {
		t.Fatal("the plan job must upload the saved plan with actions/upload-artifact, the apply job download it with actions/download-artifact")
	}
	if upload.If != nil {
		t.Errorf("the upload has the if %q: it must run only when every step before it succeeded", upload.If.Value)
	}
	folder := uploaded["path"]
	if folder == "" || strings.HasPrefix(folder, "cdktf.out") || downloaded["path"] != folder {
		t.Errorf("uploads path %q and downloads to %q: want one folder, outside cdktf.out", folder, downloaded["path"])
	}
	if review := namedStep(t, plan, "review"); !strings.Contains(review.Exec.(*actionlint.ExecRun).Run.Value, `go run ./cmd/review --stage "$STAGE" --save `+folder+` --format markdown > review.md`) {
		t.Errorf("the review step must save its plan into %s and print its markdown into review.md", folder)
	}
	if run := namedStep(t, apply, "apply").Exec.(*actionlint.ExecRun).Run.Value; strings.TrimSpace(run) != `go run ./cmd/apply --stage "$STAGE" --plan `+folder {
		t.Errorf("the apply step runs %q, want go run ./cmd/apply --stage \"$STAGE\" --plan %s", run, folder)
	}
	// The schema after the stack, in the same job: the step right after
	// the apply, with no if of its own, so it runs only on an apply that
	// succeeded.
	for i, step := range apply.Steps {
		if step.ID == nil || step.ID.Value != "apply" {
			continue
		}
		if i+1 >= len(apply.Steps) || apply.Steps[i+1].ID == nil || apply.Steps[i+1].ID.Value != "migrate" {
			t.Fatal("the step after the apply must be the migrate step")
		}
		migrate := apply.Steps[i+1]
		if run := strings.TrimSpace(migrate.Exec.(*actionlint.ExecRun).Run.Value); run != `go run ./cmd/migrate --stage "$STAGE"` || migrate.If != nil {
			t.Errorf("the migrate step runs %q (if %v), want go run ./cmd/migrate --stage \"$STAGE\" with no if", run, migrate.If)
		}
	}
	if uploaded["include-hidden-files"] != "true" {
		t.Error("the upload must include hidden files: the saved stack's .terraform.lock.hcl is one")
	}
	if uploaded["if-no-files-found"] != "error" {
		t.Error("the upload must fail when there is no saved plan (if-no-files-found: error)")
	}
	if days, err := strconv.Atoi(uploaded["retention-days"]); err != nil || days < 1 || days > 5 {
		t.Errorf("the saved plan is kept %q days, want 1 to 5: it is for this run's apply only", uploaded["retention-days"])
	}
	order := func(job *actionlint.Job, first, then *actionlint.Step) bool {
		return slices.Index(job.Steps, first) < slices.Index(job.Steps, then)
	}
	if !order(plan, namedStep(t, plan, "review"), upload) || !order(apply, download, namedStep(t, apply, "apply")) {
		t.Error("the plan job must review before it uploads, the apply job download before it applies")
	}

	// deploy.yml: dev, then production once dev is applied, each with its
	// own roles and an artifact of its own.
	deploy, _ := readWorkflow(t, "deploy.yml")
	artifacts := map[string]string{}
	for _, stage := range []struct {
		job, stage, variableSuffix string
		needs                      []string
	}{
		{"dev", "dev", "DEV", nil},
		{"production", "production", "PRODUCTION", []string{"dev"}},
	} {
		job := deploy.Jobs[stage.job]
		if job == nil || job.WorkflowCall == nil || job.WorkflowCall.Uses.Value != "./.github/workflows/deploy-stage.yml" {
			t.Errorf("deploy.yml: the job %s must call ./.github/workflows/deploy-stage.yml", stage.job)
			continue
		}
		if needs := jobNeeds(job); !slices.Equal(needs, stage.needs) {
			t.Errorf("deploy.yml: %s needs %q, want %q", stage.job, needs, stage.needs)
		}
		inputs := map[string]any{}
		for name, input := range job.WorkflowCall.Inputs {
			inputs[name] = input.Value.Value
		}
		want := map[string]any{
			"stage":                stage.stage,
			"review_role_variable": "AWS_REVIEW_ROLE_" + stage.variableSuffix,
			"deploy_role_variable": "AWS_DEPLOY_ROLE_" + stage.variableSuffix,
		}
		for name, value := range want {
			if inputs[name] != value {
				t.Errorf("deploy.yml: %s passes %s %q, want %q", stage.job, name, inputs[name], value)
			}
		}
		context := map[string]any{"inputs": inputs}
		if environment := renderTemplate(t, apply.Environment.Name.Value, context); environment != stage.stage {
			t.Errorf("%s: the apply job's environment is %q, want %q", stage.job, environment, stage.stage)
		}
		up, down := renderTemplate(t, uploaded["name"], context), renderTemplate(t, downloaded["name"], context)
		if up != down || !strings.Contains(up, stage.stage) {
			t.Errorf("%s: uploads the artifact %q and downloads %q; want one name, with the stage's in it", stage.job, up, down)
		}
		if other, taken := artifacts[up]; taken {
			t.Errorf("%s and %s both upload the artifact %q", other, stage.job, up)
		}
		artifacts[up] = stage.job
	}
}

// The plan job's steps as they run: a review's status 2 (risks) does not
// fail the plan, since the environment's approval is their acceptance,
// and the run page says so; an error, or an exit 2 that saved no plan,
// fails it before anything is uploaded.
func TestDeployWorkflowPlanJobKeepsRisksAndFailsOnErrors(t *testing.T) {
	workflow, _ := readWorkflow(t, "deploy-stage.yml")
	plan := workflow.Jobs["plan"]
	review, summary, verdict := namedStep(t, plan, "review"), namedStep(t, plan, "review on the run page"), namedStep(t, plan, "verdict")
	const printed = "### Review of production\n\nreplaces aws_rds_cluster.cluster\n"
	for _, tc := range []struct {
		what      string
		review    fakeGo
		saved     bool
		passes    bool
		summaryIn []string
	}{
		{"no risks", fakeGo{printed, 0}, true, true, []string{"No risks flagged (review exit 0)", printed}},
		{"risks flagged", fakeGo{printed, 2}, true, true, []string{"**Risks flagged** (review exit 2): approving the deployment to the environment `production` accepts them", printed}},
		{"a command line refused", fakeGo{"", 2}, false, false, []string{"**The review saved no plan** (exit 2)"}},
		{"the review failed", fakeGo{"", 1}, false, false, []string{"**The review saved no plan** (exit 1)"}},
		{"the review failed after saving a plan", fakeGo{printed, 1}, true, false, []string{"**The review failed** (exit 1)"}},
	} {
		dir := t.TempDir()
		if tc.saved {
			if err := os.MkdirAll(filepath.Join(dir, "saved-plan"), 0o755); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"plan.tfplan", "saved-plan.json"} {
				if err := os.WriteFile(filepath.Join(dir, "saved-plan", name), []byte("saved"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
		env := map[string]string{"STAGE": "production"}
		reviewed := runStep(t, review, dir, env, tc.review)
		if reviewed.failed || reviewed.outputs["status"] != strconv.Itoa(tc.review.status) {
			t.Errorf("%s: the review step failed %v with the status output %q, want it to pass and say %d\n%s", tc.what, reviewed.failed, reviewed.outputs["status"], tc.review.status, reviewed.log)
		}
		if want := []string{`run ./cmd/review --stage production --save saved-plan --format markdown`}; !slices.Equal(reviewed.goCalls, want) {
			t.Errorf("%s: the review step ran go %q, want %q", tc.what, reviewed.goCalls, want)
		}
		env["STATUS"] = reviewed.outputs["status"]
		summarized := runStep(t, summary, dir, env, fakeGo{})
		for _, want := range tc.summaryIn {
			if summarized.failed || !strings.Contains(summarized.summary, want) {
				t.Errorf("%s: the job summary lacks %q (step failed: %v):\n%s", tc.what, want, summarized.failed, summarized.summary)
			}
		}
		judged := runStep(t, verdict, dir, env, fakeGo{})
		if judged.failed == tc.passes {
			t.Errorf("%s: the verdict failed: %v, want %v\n%s", tc.what, judged.failed, !tc.passes, judged.log)
		}
	}
}

// The apply job's steps as they run: the saved review on the run page, and
// a refusal by cmd/apply (a stale plan) fails the job.
func TestDeployWorkflowApplyJobFailsWhenTheApplyIsRefused(t *testing.T) {
	workflow, _ := readWorkflow(t, "deploy-stage.yml")
	apply := workflow.Jobs["apply"]
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "saved-plan"), 0o755); err != nil {
		t.Fatal(err)
	}
	const saved = "### Review of production\n\nno changes\n"
	if err := os.WriteFile(filepath.Join(dir, "saved-plan", "review.md"), []byte(saved), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STAGE": "production"}
	if shown := runStep(t, namedStep(t, apply, "saved review on the run page"), dir, env, fakeGo{}); shown.failed || !strings.Contains(shown.summary, saved) {
		t.Errorf("the apply job's summary lacks the saved review (step failed: %v):\n%s", shown.failed, shown.summary)
	}
	for _, status := range []int{0, 1} {
		applied := runStep(t, namedStep(t, apply, "apply"), dir, env, fakeGo{"", status})
		if want := []string{"run ./cmd/apply --stage production --plan saved-plan"}; !slices.Equal(applied.goCalls, want) {
			t.Errorf("the apply step ran go %q, want %q", applied.goCalls, want)
		}
		if applied.failed != (status != 0) {
			t.Errorf("cmd/apply exited %d and the apply step failed: %v", status, applied.failed)
		}
	}
}
