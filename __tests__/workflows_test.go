package tests

// The GitHub workflows: linted by actionlint, every action pinned to a
// commit, no job with a write permission it does not need, and the review's
// stages taken from cdktf.json.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

var workflowFiles = []string{"review.yml", "deploy.yml", "deploy-stage.yml", "preview.yml"}

func readWorkflow(t *testing.T, name string) (*actionlint.Workflow, string) {
	t.Helper()
	source, err := os.ReadFile(filepath.Join(repoRootPath, ".github", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	workflow, errs := actionlint.Parse(source)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", name, errs)
	}
	return workflow, string(source)
}

// actionlint, pinned in go.mod as a tool, run as a user would.
func TestWorkflowsLintClean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds actionlint; skipped in -short mode (make test runs it)")
	}
	args := []string{"run", "github.com/rhysd/actionlint/cmd/actionlint"}
	for _, name := range workflowFiles {
		args = append(args, filepath.Join(".github", "workflows", name))
	}
	lint := exec.Command("go", args...)
	lint.Dir = repoRootPath
	if out, err := lint.CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("actionlint: %v\n%s", err, out)
	}
}

var pinnedAction = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$`)

func TestWorkflowActionsArePinnedToCommits(t *testing.T) {
	for _, name := range workflowFiles {
		workflow, _ := readWorkflow(t, name)
		for id, job := range workflow.Jobs {
			var uses []string
			if job.WorkflowCall != nil {
				uses = append(uses, job.WorkflowCall.Uses.Value)
			}
			for _, step := range job.Steps {
				if action, ok := step.Exec.(*actionlint.ExecAction); ok {
					uses = append(uses, action.Uses.Value)
				}
			}
			for _, use := range uses {
				if !strings.HasPrefix(use, "./") && !pinnedAction.MatchString(use) {
					t.Errorf("%s, job %s: uses %q; pin it to a full commit SHA (with the tag in a comment)", name, id, use)
				}
			}
		}
	}
}

// Nothing is granted at the top; each job writes only what it must: the
// OIDC token to assume its role, and the review its pull-request comment.
func TestWorkflowJobsHaveLeastPermissions(t *testing.T) {
	mayWrite := map[string][]string{
		"review.yml/stages":       nil,
		"review.yml/review":       {"id-token", "pull-requests"},
		"deploy.yml/dev":          {"id-token"},
		"deploy.yml/production":   {"id-token"},
		"deploy-stage.yml/deploy": {"id-token"},
		"preview.yml/deploy":      {"id-token", "pull-requests"},
		"preview.yml/destroy":     {"id-token", "pull-requests"},
		"preview.yml/cleanup":     {"id-token"},
	}
	seen := 0
	for _, name := range workflowFiles {
		workflow, _ := readWorkflow(t, name)
		if p := workflow.Permissions; p == nil || p.All != nil || len(p.Scopes) != 0 {
			t.Errorf("%s: top-level permissions must be {}", name)
		}
		for id, job := range workflow.Jobs {
			key := name + "/" + id
			allowed, known := mayWrite[key]
			if !known {
				t.Errorf("%s: a job this test does not know; say what it may write", key)
				continue
			}
			seen++
			if job.Permissions == nil || job.Permissions.All != nil {
				t.Errorf("%s: list the job's permissions scope by scope", key)
				continue
			}
			var writes []string
			for scope, permission := range job.Permissions.Scopes {
				if permission.Value.Value == "write" {
					writes = append(writes, scope)
				}
			}
			slices.Sort(writes)
			if !slices.Equal(writes, allowed) {
				t.Errorf("%s writes %q, want only %q", key, writes, allowed)
			}
		}
	}
	if seen != len(mayWrite) {
		t.Errorf("found %d of the %d jobs this test knows", seen, len(mayWrite))
	}
}

// The review's matrix is what cmd/review --stages-matrix prints from
// cdktf.json: a stage added there is reviewed without touching the workflow.
func TestReviewWorkflowTakesItsStagesFromCdktfJSON(t *testing.T) {
	workflow, source := readWorkflow(t, "review.yml")
	stages, review := workflow.Jobs["stages"], workflow.Jobs["review"]
	if stages == nil || review == nil {
		t.Fatal("review.yml needs the jobs stages and review")
	}
	var listsStages bool
	for _, step := range stages.Steps {
		if run, ok := step.Exec.(*actionlint.ExecRun); ok && strings.Contains(run.Run.Value, "go run ./cmd/review --stages-matrix") {
			listsStages = true
		}
	}
	if !listsStages {
		t.Error("the stages job must list the stages with go run ./cmd/review --stages-matrix")
	}
	if review.Strategy == nil || review.Strategy.Matrix == nil || review.Strategy.Matrix.Include == nil ||
		review.Strategy.Matrix.Include.Expression == nil || review.Strategy.Matrix.Include.Expression.Value != "${{ fromJSON(needs.stages.outputs.stages) }}" {
		t.Error("the review job's matrix must include ${{ fromJSON(needs.stages.outputs.stages) }}, and nothing kept by hand")
	}
	for _, stage := range []string{"dev", "production"} {
		if regexp.MustCompile(`(?m)^\s*-?\s*stage:\s*` + stage).MatchString(source) {
			t.Errorf("review.yml lists the stage %s by hand", stage)
		}
	}

	// The deploy takes the stage's region from the same list, not from its
	// own reading of cdktf.json.
	deploy, _ := readWorkflow(t, "deploy-stage.yml")
	var region string
	for _, step := range deploy.Jobs["deploy"].Steps {
		if run, ok := step.Exec.(*actionlint.ExecRun); ok && step.ID != nil && step.ID.Value == "region" {
			region = run.Run.Value
		}
	}
	if !strings.Contains(region, "go run ./cmd/review --stages-matrix") {
		t.Errorf("deploy-stage.yml's region step must read go run ./cmd/review --stages-matrix: %q", region)
	}

	if testing.Short() {
		return
	}
	dir := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": ` + withStages(`{"dev": {}, "production": {}, "prod-eu": {"profile": "production", "region": "eu-central-1"}}`) + `}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(goBinary(t, "./cmd/review"), "--stages-matrix")
	cmd.Dir = dir
	out, err := cmd.Output()
	want := `[{"stage":"dev","region":"us-east-1","role_variable":"AWS_REVIEW_ROLE_DEV"},` +
		`{"stage":"prod-eu","region":"eu-central-1","role_variable":"AWS_REVIEW_ROLE_PROD_EU"},` +
		`{"stage":"production","region":"us-east-1","role_variable":"AWS_REVIEW_ROLE_PRODUCTION"}]` + "\n"
	if err != nil || string(out) != want {
		t.Errorf("review --stages-matrix: %v\n got %s\nwant %s", err, out, want)
	}
}
