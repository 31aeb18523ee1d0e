package tests

// The GitHub workflows: linted by actionlint, every action pinned to a
// commit, no job with a write permission it does not need, and the review's
// stages taken from cdktf.json.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

var workflowFiles = []string{"review.yml", "deploy.yml", "deploy-stage.yml", "preview.yml", "drift.yml", "prices.yml"}

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
// OIDC token to assume its role, the review and the preview their
// pull-request comment, the drift check its issue.
func TestWorkflowJobsHaveLeastPermissions(t *testing.T) {
	mayWrite := map[string][]string{
		"review.yml/stages":      nil,
		"review.yml/review":      {"id-token", "pull-requests"},
		"deploy.yml/dev":         {"id-token"},
		"deploy.yml/production":  {"id-token"},
		"deploy-stage.yml/plan":  {"id-token"},
		"deploy-stage.yml/apply": {"id-token"},
		"preview.yml/deploy":     {"id-token", "pull-requests"},
		"preview.yml/destroy":    {"id-token", "pull-requests"},
		"preview.yml/cleanup":    {"id-token"},
		"drift.yml/stages":       nil,
		"drift.yml/drift":        {"id-token", "issues"},
		"prices.yml/prices":      {"contents", "pull-requests"},
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

// The review's and the drift check's matrices are what cmd/review
// --stages-matrix prints from cdktf.json: a stage added there is reviewed
// and checked without touching the workflows.
func TestReviewWorkflowTakesItsStagesFromCdktfJSON(t *testing.T) {
	for _, matrixJob := range []struct{ file, job string }{{"review.yml", "review"}, {"drift.yml", "drift"}} {
		workflow, source := readWorkflow(t, matrixJob.file)
		stages, perStage := workflow.Jobs["stages"], workflow.Jobs[matrixJob.job]
		if stages == nil || perStage == nil {
			t.Errorf("%s needs the jobs stages and %s", matrixJob.file, matrixJob.job)
			continue
		}
		if !strings.Contains(runScript(stages), "go run ./cmd/review --stages-matrix") {
			t.Errorf("%s: the stages job must list the stages with go run ./cmd/review --stages-matrix", matrixJob.file)
		}
		if perStage.Strategy == nil || perStage.Strategy.Matrix == nil || perStage.Strategy.Matrix.Include == nil ||
			perStage.Strategy.Matrix.Include.Expression == nil || perStage.Strategy.Matrix.Include.Expression.Value != "${{ fromJSON(needs.stages.outputs.stages) }}" {
			t.Errorf("%s: the %s job's matrix must include ${{ fromJSON(needs.stages.outputs.stages) }}, and nothing kept by hand", matrixJob.file, matrixJob.job)
		}
		if role := awsCredentials(perStage, "role-to-assume"); role != "${{ vars[matrix.role_variable] }}" {
			t.Errorf("%s: the %s job assumes %q, want the stage's review role, ${{ vars[matrix.role_variable] }}", matrixJob.file, matrixJob.job, role)
		}
		for _, stage := range []string{"dev", "production"} {
			if regexp.MustCompile(`(?m)^\s*-?\s*stage:\s*` + stage).MatchString(source) {
				t.Errorf("%s lists the stage %s by hand", matrixJob.file, stage)
			}
		}
	}

	// The deploy takes the stage's region from the same list, not from its
	// own reading of cdktf.json.
	deploy, _ := readWorkflow(t, "deploy-stage.yml")
	for _, id := range []string{"plan", "apply"} {
		job := deploy.Jobs[id]
		if job == nil {
			t.Errorf("deploy-stage.yml has no job %s", id)
			continue
		}
		var region string
		for _, step := range job.Steps {
			if run, ok := step.Exec.(*actionlint.ExecRun); ok && step.ID != nil && step.ID.Value == "region" {
				region = run.Run.Value
			}
		}
		if !strings.Contains(region, "go run ./cmd/review --stages-matrix") {
			t.Errorf("deploy-stage.yml, job %s: the region step must read go run ./cmd/review --stages-matrix: %q", id, region)
		}
		if got := awsCredentials(job, "aws-region"); got != "${{ steps.region.outputs.region }}" {
			t.Errorf("deploy-stage.yml, job %s: aws-region %q, want ${{ steps.region.outputs.region }}", id, got)
		}
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

// runScript is every run step of a job, in order, one after the other.
func runScript(job *actionlint.Job) string {
	var commands []string
	for _, step := range job.Steps {
		if run, ok := step.Exec.(*actionlint.ExecRun); ok {
			commands = append(commands, run.Run.Value)
		}
	}
	return strings.Join(commands, "\n")
}

// actionStep is a job's first step that uses the action (owner/name),
// with its inputs by name.
func actionStep(job *actionlint.Job, action string) (*actionlint.Step, map[string]string) {
	for _, step := range job.Steps {
		if exec, ok := step.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(exec.Uses.Value, action+"@") {
			inputs := map[string]string{}
			for name, input := range exec.Inputs {
				inputs[name] = input.Value.Value
			}
			return step, inputs
		}
	}
	return nil, nil
}

// awsCredentials is an input of the job's aws-actions/configure-aws-credentials.
func awsCredentials(job *actionlint.Job, input string) string {
	_, inputs := actionStep(job, "aws-actions/configure-aws-credentials")
	return inputs[input]
}

// namedStep is the job's step with that id, else that name.
func namedStep(t *testing.T, job *actionlint.Job, idOrName string) *actionlint.Step {
	t.Helper()
	for _, step := range job.Steps {
		if (step.ID != nil && step.ID.Value == idOrName) || (step.Name != nil && step.Name.Value == idOrName) {
			return step
		}
	}
	t.Fatalf("no step %q in job %s", idOrName, job.ID.Value)
	return nil
}

// renderTemplate replaces each ${{ expression }} of a value with what it
// evaluates to in the context.
func renderTemplate(t *testing.T, value string, context map[string]any) string {
	t.Helper()
	return regexp.MustCompile(`\$\{\{(.*?)\}\}`).ReplaceAllStringFunc(value, func(placeholder string) string {
		source := strings.TrimSuffix(strings.TrimPrefix(placeholder, "${{"), "}}")
		node, err := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(source + "}}"))
		if err != nil {
			t.Fatalf("parsing %q: %v", placeholder, err)
		}
		return fmt.Sprint(evalExpr(t, node, context))
	})
}

// stepRun is what a run step did.
type stepRun struct {
	failed  bool
	goCalls []string          // the arguments of each go command it ran
	outputs map[string]string // what it wrote to $GITHUB_OUTPUT
	summary string            // what it wrote to $GITHUB_STEP_SUMMARY
	log     string
}

// fakeGo stands for the project's commands in a step: it prints stdout
// and exits with status, whatever it is asked to run.
type fakeGo struct {
	stdout string
	status int
}

// runStep runs a run step's script in dir as GitHub does (bash -e -o
// pipefail), with env and a fake go first on PATH. Expressions in the
// step's env are the caller's to give in env.
func runStep(t *testing.T, step *actionlint.Step, dir string, env map[string]string, fake fakeGo) stepRun {
	t.Helper()
	run, ok := step.Exec.(*actionlint.ExecRun)
	if !ok {
		t.Fatalf("step %v runs no script", step.Name)
	}
	tools := t.TempDir()
	files := map[string]string{"calls": "", "output": "", "summary": ""}
	for name := range files {
		files[name] = filepath.Join(tools, name)
	}
	goScript := "#!/bin/sh\necho \"$*\" >> \"$FAKE_GO_CALLS\"\nprintf '%s' \"$FAKE_GO_STDOUT\"\nexit \"$FAKE_GO_STATUS\"\n"
	if err := os.WriteFile(filepath.Join(tools, "go"), []byte(goScript), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", run.Run.Value)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_GO_CALLS="+files["calls"], "FAKE_GO_STDOUT="+fake.stdout, fmt.Sprintf("FAKE_GO_STATUS=%d", fake.status),
		"GITHUB_OUTPUT="+files["output"], "GITHUB_STEP_SUMMARY="+files["summary"])
	for name, value := range envMap(step.Env) {
		if !strings.Contains(value, "${{") {
			cmd.Env = append(cmd.Env, name+"="+value)
		}
	}
	for name, value := range env {
		cmd.Env = append(cmd.Env, name+"="+value)
	}
	out, err := cmd.CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("bash: %v", err)
	}
	result := stepRun{failed: err != nil, outputs: map[string]string{}, log: string(out)}
	read := func(name string) string {
		content, _ := os.ReadFile(files[name])
		return string(content)
	}
	if calls := strings.TrimSpace(read("calls")); calls != "" {
		result.goCalls = strings.Split(calls, "\n")
	}
	for _, line := range strings.Split(read("output"), "\n") {
		if name, value, ok := strings.Cut(line, "="); ok {
			result.outputs[name] = value
		}
	}
	result.summary = read("summary")
	return result
}
