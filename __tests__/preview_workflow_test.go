package tests

// The preview workflow's promises, read from the workflow as actionlint
// parses it: which events deploy, destroy and clean up (each job's `if`
// evaluated against the event), the stage's name, DB_STAGES, the state
// deleted after a destroy. And, against the emulator, cmd/previews on a
// deployed preview (called by the emulator test that deploys pr-7).

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"
	"aurora-stages/internal/testcpu"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rhysd/actionlint"
)

// previewEvent is an event the workflow may receive.
type previewEvent struct {
	name   string // github.event_name
	action string // a pull request's activity: labeled, closed...
	label  string // the label added or removed
	labels []string
	state  string // the pull request's: open or closed
	fork   bool   // the pull request's head is in another repository
}

// context is the expression context of the event, as GitHub fills it.
func (e previewEvent) context() map[string]any {
	github := map[string]any{"event_name": e.name, "repository": "team/aurora-stages", "event": map[string]any{}}
	if e.name == "pull_request" {
		labels := []any{}
		for _, l := range e.labels {
			labels = append(labels, map[string]any{"name": l})
		}
		head := "team/aurora-stages"
		if e.fork {
			head = "someone/aurora-stages"
		}
		event := map[string]any{"action": e.action, "pull_request": map[string]any{
			"number": 42.0, "state": e.state, "labels": labels,
			"head": map[string]any{"repo": map[string]any{"full_name": head}},
		}}
		if e.label != "" {
			event["label"] = map[string]any{"name": e.label}
		}
		github["event"] = event
	}
	return map[string]any{"github": github}
}

func TestPreviewWorkflowRunsTheRightJobForEachEvent(t *testing.T) {
	workflow, _ := readWorkflow(t, "preview.yml")
	for _, tc := range []struct {
		what  string
		event previewEvent
		jobs  []string
	}{
		{"the label preview added", previewEvent{"pull_request", "labeled", "preview", []string{"preview"}, "open", false}, []string{"deploy"}},
		{"a push with the label", previewEvent{"pull_request", "synchronize", "", []string{"bug", "preview"}, "open", false}, []string{"deploy"}},
		{"reopened with the label", previewEvent{"pull_request", "reopened", "", []string{"preview"}, "open", false}, []string{"deploy"}},
		{"a push without the label", previewEvent{"pull_request", "synchronize", "", []string{"bug"}, "open", false}, nil},
		{"another label added to a preview", previewEvent{"pull_request", "labeled", "accept-risk", []string{"preview", "accept-risk"}, "open", false}, nil},
		{"another label removed from a preview", previewEvent{"pull_request", "unlabeled", "accept-risk", []string{"preview"}, "open", false}, nil},
		{"another label added", previewEvent{"pull_request", "labeled", "bug", []string{"bug"}, "open", false}, nil},
		{"a fork's pull request labelled", previewEvent{"pull_request", "labeled", "preview", []string{"preview"}, "open", true}, nil},
		{"the label removed", previewEvent{"pull_request", "unlabeled", "preview", nil, "open", false}, []string{"destroy"}},
		{"closed with the label", previewEvent{"pull_request", "closed", "", []string{"preview"}, "closed", false}, []string{"destroy"}},
		{"closed without the label", previewEvent{"pull_request", "closed", "", nil, "closed", false}, nil},
		{"the daily schedule", previewEvent{name: "schedule"}, []string{"cleanup"}},
		{"a run by hand", previewEvent{name: "workflow_dispatch"}, []string{"cleanup"}},
	} {
		var runs []string
		for id, job := range workflow.Jobs {
			if job.If == nil || evalCondition(t, job.If.Value, tc.event.context()) {
				runs = append(runs, id)
			}
		}
		slices.Sort(runs)
		if !slices.Equal(runs, tc.jobs) {
			t.Errorf("%s: runs jobs %q, want %q", tc.what, runs, tc.jobs)
		}
	}

	var hooks []string
	for _, event := range workflow.On {
		switch e := event.(type) {
		case *actionlint.WebhookEvent:
			hooks = append(hooks, e.Hook.Value)
			if e.Hook.Value == "pull_request" {
				var types []string
				for _, ty := range e.Types {
					types = append(types, ty.Value)
				}
				slices.Sort(types)
				if want := []string{"closed", "labeled", "reopened", "synchronize", "unlabeled"}; !slices.Equal(types, want) {
					t.Errorf("pull_request types %q, want %q", types, want)
				}
			}
		default:
			hooks = append(hooks, event.EventName())
		}
	}
	slices.Sort(hooks)
	if want := []string{"pull_request", "schedule", "workflow_dispatch"}; !slices.Equal(hooks, want) {
		t.Errorf("preview.yml runs on %q, want %q", hooks, want)
	}
}

// The pull request's jobs work on pr-<its number>, named to cdktf through
// DB_STAGES; the destroy deletes the state after it; the cleanup finds the
// previews with cmd/previews and does the same to each.
func TestPreviewWorkflowStageStateAndCleanup(t *testing.T) {
	workflow, source := readWorkflow(t, "preview.yml")
	const stage = "pr-${{ github.event.pull_request.number }}"
	for _, id := range []string{"deploy", "destroy"} {
		job := workflow.Jobs[id]
		if job == nil {
			t.Fatalf("preview.yml has no job %s", id)
		}
		if env := envMap(job.Env); env["STAGE"] != stage || env["DB_STAGES"] != stage {
			t.Errorf("%s: STAGE = %q, DB_STAGES = %q; want both %q", id, env["STAGE"], env["DB_STAGES"], stage)
		}
		if job.Concurrency == nil || job.Concurrency.Group.Value != "preview-"+stage || job.Concurrency.CancelInProgress == nil || job.Concurrency.CancelInProgress.Value {
			t.Errorf("%s: concurrency must be the group preview-%s, never cancelled (a cancelled deploy leaves its state locked)", id, stage)
		}
	}
	runs := func(id string) []string {
		var commands []string
		for _, step := range workflow.Jobs[id].Steps {
			if run, ok := step.Exec.(*actionlint.ExecRun); ok {
				commands = append(commands, run.Run.Value)
			}
		}
		return commands
	}
	inOrder := func(id string, want ...string) {
		t.Helper()
		script := strings.Join(runs(id), "\n")
		at := 0
		for _, command := range want {
			i := strings.Index(script[at:], command)
			if i < 0 {
				t.Errorf("%s: no %q after what came before it, in:\n%s", id, command, script)
				return
			}
			at += i + len(command)
		}
	}
	inOrder("deploy", `go run ./cmd/previews show --stage "$STAGE"`,
		`go run ./cmd/review --stage "$STAGE" --save saved-plan --format markdown > review.md`, `go run ./cmd/apply --stage "$STAGE" --plan saved-plan`,
		`go run ./cmd/migrate --stage "$STAGE"`)
	if script := strings.Join(runs("deploy"), "\n"); strings.Contains(script, "cdktf deploy") {
		t.Errorf("deploy: runs cdktf deploy, which plans again instead of applying the reviewed plan:\n%s", script)
	}
	inOrder("destroy", `npx cdktf destroy "$STAGE" --auto-approve`, `go run ./cmd/previews delete-state --stage "$STAGE"`)
	inOrder("cleanup",
		`go run ./cmd/previews list --format json`, `go run ./cmd/previews list --older-than "${MAX_AGE_DAYS}d" --format json`,
		`gh pr view "$number"`, `DB_STAGES="$stage" npx cdktf destroy "$stage" --auto-approve`, `go run ./cmd/previews delete-state --stage "$stage"`)

	// Without context.previews (this repository's cdktf.json), the daily
	// cleanup has nothing to do and must not fail.
	afterCheck := false
	for _, step := range workflow.Jobs["cleanup"].Steps {
		if afterCheck && (step.If == nil || step.If.Value != "steps.region.outputs.configured == 'true'") {
			t.Errorf("cleanup: a step after the check of context.previews runs without it: %v", step.Name)
		}
		afterCheck = afterCheck || (step.ID != nil && step.ID.Value == "region")
	}
	if !afterCheck {
		t.Error("cleanup: no step region, which checks context.previews")
	}

	// The age limit: the workflow's env, unless a run by hand names
	// another.
	if workflow.Env == nil || envMap(workflow.Env)["PREVIEW_MAX_AGE_DAYS"] != "7" {
		t.Error("preview.yml's env must set PREVIEW_MAX_AGE_DAYS: 7")
	}
	if !strings.Contains(source, "MAX_AGE_DAYS: ${{ inputs.max_age_days || env.PREVIEW_MAX_AGE_DAYS }}") {
		t.Error("the cleanup must take its age from the input max_age_days, else PREVIEW_MAX_AGE_DAYS")
	}

	// Every job assumes the preview role, in the region the app resolves.
	for id, job := range workflow.Jobs {
		var role, region string
		for _, step := range job.Steps {
			if action, ok := step.Exec.(*actionlint.ExecAction); ok && strings.HasPrefix(action.Uses.Value, "aws-actions/configure-aws-credentials@") {
				role, region = action.Inputs["role-to-assume"].Value.Value, action.Inputs["aws-region"].Value.Value
			}
		}
		if role != "${{ vars.AWS_PREVIEW_ROLE }}" || !strings.HasPrefix(region, "${{ steps.") {
			t.Errorf("%s: assumes %q in %q; want ${{ vars.AWS_PREVIEW_ROLE }} in the region a step read from cmd/previews", id, role, region)
		}
	}
	// Names come from the app's settings, never from the workflow.
	for _, name := range []string{"movies", "us-east-1", "-credentials-arn"} {
		if strings.Contains(source, name) {
			t.Errorf("preview.yml names %q itself; take it from go run ./cmd/previews show", name)
		}
	}
}

// The preview's deploy applies the plan its review saved, whatever risks
// the review flagged, and nothing when the review saved no plan; the
// comment reads the deploy's outcome either way.
func TestPreviewWorkflowAppliesTheReviewedPlan(t *testing.T) {
	workflow, _ := readWorkflow(t, "preview.yml")
	job := workflow.Jobs["deploy"]
	review, deploy := namedStep(t, job, "review"), namedStep(t, job, "deploy")
	comment := namedStep(t, job, "comment the preview")
	if comment.If == nil || !strings.Contains(comment.If.Value, "always()") {
		t.Error("the comment must be posted whatever the deploy's outcome: its if needs always()")
	}
	for _, tc := range []struct {
		what    string
		review  fakeGo
		saved   bool
		applies bool
	}{
		{"no risks", fakeGo{"### Review\n", 0}, true, true},
		{"risks flagged", fakeGo{"### Review\n", 2}, true, true},
		{"a command line refused", fakeGo{"", 2}, false, false},
		{"the review failed", fakeGo{"", 1}, false, false},
	} {
		dir := t.TempDir()
		reviewed := runStep(t, review, dir, map[string]string{"STAGE": "pr-42"}, tc.review)
		if reviewed.failed || reviewed.outputs["status"] != strconv.Itoa(tc.review.status) {
			t.Errorf("%s: the review step failed: %v, status output %q; want it to pass and say %d", tc.what, reviewed.failed, reviewed.outputs["status"], tc.review.status)
		}
		if tc.saved {
			if err := os.MkdirAll(filepath.Join(dir, "saved-plan"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "saved-plan", "plan.tfplan"), []byte("saved"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		deployed := runStep(t, deploy, dir, map[string]string{"STAGE": "pr-42", "REVIEW_STATUS": reviewed.outputs["status"]}, fakeGo{"", 0})
		var want []string
		if tc.applies {
			want = []string{"run ./cmd/apply --stage pr-42 --plan saved-plan"}
		}
		if !slices.Equal(deployed.goCalls, want) || deployed.failed == tc.applies {
			t.Errorf("%s: the deploy step ran go %q and failed: %v; want %q and failed: %v\n%s", tc.what, deployed.goCalls, deployed.failed, want, !tc.applies, deployed.log)
		}
	}
}

// envMap is a workflow's or a job's env, by name.
func envMap(env *actionlint.Env) map[string]string {
	m := map[string]string{}
	if env != nil {
		for _, v := range env.Vars {
			m[v.Name.Value] = v.Value.Value
		}
	}
	return m
}

// evalCondition evaluates a job's `if` as GitHub does, for what this
// workflow uses: property access (with .*. over arrays), ==, !=, !, &&,
// ||, contains() and literals. Strings compare without case, as GitHub's.
func evalCondition(t *testing.T, condition string, context map[string]any) bool {
	t.Helper()
	source := strings.TrimSpace(condition)
	source = strings.TrimSuffix(strings.TrimPrefix(source, "${{"), "}}")
	node, err := actionlint.NewExprParser().Parse(actionlint.NewExprLexer(source + "}}"))
	if err != nil {
		t.Fatalf("parsing %q: %v", condition, err)
	}
	return truthy(evalExpr(t, node, context))
}

func evalExpr(t *testing.T, node actionlint.ExprNode, context map[string]any) any {
	t.Helper()
	switch n := node.(type) {
	case *actionlint.VariableNode:
		return context[n.Name]
	case *actionlint.StringNode:
		return n.Value
	case *actionlint.IntNode:
		return float64(n.Value)
	case *actionlint.BoolNode:
		return n.Value
	case *actionlint.NullNode:
		return nil
	case *actionlint.ObjectDerefNode:
		return property(evalExpr(t, n.Receiver, context), n.Property)
	case *actionlint.ArrayDerefNode:
		// foo.*.bar: the property of each element, which ObjectDerefNode
		// does over a list.
		list, _ := evalExpr(t, n.Receiver, context).([]any)
		return list
	case *actionlint.NotOpNode:
		return !truthy(evalExpr(t, n.Operand, context))
	case *actionlint.CompareOpNode:
		equal := looselyEqual(evalExpr(t, n.Left, context), evalExpr(t, n.Right, context))
		switch n.Kind {
		case actionlint.CompareOpNodeKindEq:
			return equal
		case actionlint.CompareOpNodeKindNotEq:
			return !equal
		}
	case *actionlint.LogicalOpNode:
		left := evalExpr(t, n.Left, context)
		if truthy(left) == (n.Kind == actionlint.LogicalOpNodeKindOr) {
			return left
		}
		return evalExpr(t, n.Right, context)
	case *actionlint.FuncCallNode:
		if strings.EqualFold(n.Callee, "contains") && len(n.Args) == 2 {
			haystack, needle := evalExpr(t, n.Args[0], context), evalExpr(t, n.Args[1], context)
			if list, ok := haystack.([]any); ok {
				return slices.ContainsFunc(list, func(v any) bool { return looselyEqual(v, needle) })
			}
			return strings.Contains(strings.ToLower(fmt.Sprint(haystack)), strings.ToLower(fmt.Sprint(needle)))
		}
	}
	t.Fatalf("evalCondition does not know %T (%s); teach it", node, node.Token())
	return nil
}

func property(receiver any, name string) any {
	switch r := receiver.(type) {
	case map[string]any:
		return r[name]
	case []any:
		var values []any
		for _, element := range r {
			values = append(values, property(element, name))
		}
		return values
	}
	return nil
}

func looselyEqual(a, b any) bool {
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.EqualFold(as, bs)
		}
	}
	return a == b
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case string:
		return v != ""
	case float64:
		return v != 0
	}
	return true
}

// The emulator checks of a deployed preview, pr-7, next to dev, in a
// project whose cdktf.json has context.previews.

// expectPreviewFoundByTags checks that cmd/previews lists pr-7, found by
// its cluster's tags, and not dev.
func expectPreviewFoundByTags(t *testing.T, p *project) {
	t.Helper()
	out := runPreviews(t, p, "list", "--older-than", "0s", "--format", "json")
	var listed []struct {
		Stage       string `json:"stage"`
		PullRequest int    `json:"pull_request"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		t.Fatalf("previews list --format json printed no JSON list: %v\n%s", err, out)
	}
	var stages []string
	for _, preview := range listed {
		stages = append(stages, preview.Stage)
		if preview.Stage == "pr-7" && preview.PullRequest != 7 {
			t.Errorf("previews list: pr-7 with pull request %d, want 7", preview.PullRequest)
		}
	}
	if !slices.Contains(stages, "pr-7") || slices.Contains(stages, "dev") {
		t.Errorf("previews list: %q; want pr-7 listed and dev not\n%s", stages, out)
	}
}

// expectPreviewStateDeleted deletes the destroyed pr-7's state with
// cmd/previews and checks that no version of it or its lock remains, and
// that dev's state does.
func expectPreviewStateDeleted(t *testing.T, p *project) {
	t.Helper()
	if versions := stateVersions(t, p, "movies/pr-7/"); len(versions) == 0 {
		t.Fatal("no state of pr-7 in the bucket to delete: was it deployed and destroyed?")
	}
	out := runPreviews(t, p, "delete-state", "--stage", "pr-7")
	if !strings.HasPrefix(out, "pr-7: deleted ") {
		t.Errorf("previews delete-state: %q", out)
	}
	if versions := stateVersions(t, p, "movies/pr-7/"); len(versions) > 0 {
		t.Errorf("left in the state bucket after delete-state: %q", versions)
	}
	if versions := stateVersions(t, p, "movies/dev/terraform.tfstate"); len(versions) == 0 {
		t.Error("dev's state is gone too")
	}
}

// runPreviews runs the built cmd/previews in the project folder against
// the emulator and returns its standard output.
func runPreviews(t *testing.T, p *project, args ...string) string {
	t.Helper()
	cmd := exec.Command(goBinary(t, "./cmd/previews"), args...)
	cmd.Dir, cmd.Env = p.dir, p.env()
	out, err := cmd.Output()
	testcpu.Charge(t, cmd.ProcessState)
	if err != nil {
		var stderr []byte
		if exit, ok := err.(*exec.ExitError); ok {
			stderr = exit.Stderr
		}
		t.Fatalf("previews %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

// stateVersions lists every version and delete marker under a prefix of
// the state bucket, as key@version.
func stateVersions(t *testing.T, p *project, prefix string) []string {
	t.Helper()
	var versions []string
	paginator := s3.NewListObjectVersionsPaginator(p.emulator.S3(), &s3.ListObjectVersionsInput{Bucket: aws.String(lifecycleBucket), Prefix: aws.String(prefix)})
	for paginator.HasMorePages() {
		page, err := paginator.NextPage(localaws.Context(t))
		if err != nil {
			t.Fatalf("listing s3://%s/%s: %v", lifecycleBucket, prefix, err)
		}
		for _, v := range page.Versions {
			versions = append(versions, aws.ToString(v.Key)+"@"+aws.ToString(v.VersionId))
		}
		for _, m := range page.DeleteMarkers {
			versions = append(versions, aws.ToString(m.Key)+"@"+aws.ToString(m.VersionId)+" (delete marker)")
		}
	}
	return versions
}
