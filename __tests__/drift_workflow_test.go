package tests

// The drift workflow's promises, read from the workflow as actionlint
// parses it: which events check (each job's `if` evaluated, with its
// needs), what each status of the check does (the steps' `if`s, the check's
// own script run by bash with a fake go), and the issue kept per stage (the
// github-script run by Node.js against a fake GitHub).

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// jobsThatRun are the jobs whose `if` holds in the context and whose
// needed jobs all run, sorted.
func jobsThatRun(t *testing.T, workflow *actionlint.Workflow, context map[string]any) []string {
	t.Helper()
	runs := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for id, job := range workflow.Jobs {
			if runs[id] || (job.If != nil && !evalCondition(t, job.If.Value, context)) {
				continue
			}
			if !slices.ContainsFunc(jobNeeds(job), func(need string) bool { return !runs[need] }) {
				runs[id], changed = true, true
			}
		}
	}
	var ids []string
	for id := range runs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func TestDriftWorkflowRunsDailyAndByHand(t *testing.T) {
	workflow, _ := readWorkflow(t, "drift.yml")
	var hooks []string
	for _, event := range workflow.On {
		hooks = append(hooks, event.EventName())
		if schedule, ok := event.(*actionlint.ScheduledEvent); ok {
			if len(schedule.Schedules) != 1 || len(strings.Fields(schedule.Schedules[0].Cron.Value)) != 5 ||
				!strings.HasSuffix(schedule.Schedules[0].Cron.Value, " * * *") {
				t.Errorf("drift.yml: schedule %v, want one daily cron (minute hour * * *)", schedule.Schedules)
			}
		}
	}
	slices.Sort(hooks)
	if want := []string{"schedule", "workflow_dispatch"}; !slices.Equal(hooks, want) {
		t.Errorf("drift.yml runs on %q, want %q", hooks, want)
	}
	for _, tc := range []struct {
		event previewEvent
		jobs  []string
	}{
		{previewEvent{name: "schedule"}, []string{"drift", "stages"}},
		{previewEvent{name: "workflow_dispatch"}, []string{"drift", "stages"}},
		{previewEvent{name: "push"}, nil},
		{previewEvent{"pull_request", "opened", "", nil, "open", false}, nil},
	} {
		if runs := jobsThatRun(t, workflow, tc.event.context()); !slices.Equal(runs, tc.jobs) {
			t.Errorf("%s: runs jobs %q, want %q", tc.event.name, runs, tc.jobs)
		}
	}
	drift := workflow.Jobs["drift"]
	if drift == nil {
		t.Fatal("drift.yml has no job drift")
	}
	if needs := jobNeeds(drift); !slices.Equal(needs, []string{"stages"}) {
		t.Errorf("the drift job needs %q, want [stages]", needs)
	}
	if drift.Environment != nil {
		t.Errorf("the drift job has the environment %q: it only reads, with the review role", drift.Environment.Name.Value)
	}
	// Two checks of one stage at once could open two issues.
	if drift.Concurrency == nil || drift.Concurrency.Group.Value != "drift-${{ matrix.stage }}" ||
		drift.Concurrency.CancelInProgress == nil || drift.Concurrency.CancelInProgress.Value {
		t.Error("the drift job's concurrency must be the group drift-${{ matrix.stage }}, not cancelled")
	}
}

// Status 0 and 2 keep the issue (closed or opened/updated), any other
// status fails the job and leaves the issue alone.
func TestDriftWorkflowKeepsTheIssueOnlyWhenTheCheckWorked(t *testing.T) {
	workflow, _ := readWorkflow(t, "drift.yml")
	job := workflow.Jobs["drift"]
	check := namedStep(t, job, "drift")
	const keep, fail = "keep the stage's drift issue", "fail on a failed check"
	for _, tc := range []struct {
		what   string
		check  fakeGo
		status string
		steps  []string
	}{
		{"no drift", fakeGo{"No drift in dev.\n", 0}, "0", []string{keep}},
		{"drift", fakeGo{"### Drift in dev\n\naws_rds_cluster.cluster: backup_retention_period 7 -> 1\n", 2}, "2", []string{keep}},
		{"a command line refused", fakeGo{"", 2}, "1", []string{fail}},
		{"the check failed", fakeGo{"", 1}, "1", []string{fail}},
	} {
		dir := t.TempDir()
		checked := runStep(t, check, dir, map[string]string{"STAGE": "dev"}, tc.check)
		if want := []string{"run ./cmd/review --stage dev --drift --format markdown"}; !slices.Equal(checked.goCalls, want) {
			t.Errorf("%s: the check ran go %q, want %q", tc.what, checked.goCalls, want)
		}
		if checked.failed || checked.outputs["status"] != tc.status {
			t.Errorf("%s: the check step failed: %v, status output %q; want it to pass and say %s\n%s", tc.what, checked.failed, checked.outputs["status"], tc.status, checked.log)
		}
		if !strings.Contains(checked.summary, tc.check.stdout) {
			t.Errorf("%s: the job summary lacks the check's output:\n%s", tc.what, checked.summary)
		}
		context := map[string]any{"steps": map[string]any{"drift": map[string]any{"outputs": map[string]any{"status": checked.outputs["status"]}}}}
		var runs []string
		for _, step := range job.Steps[slices.Index(job.Steps, check)+1:] {
			if step.If != nil && evalCondition(t, step.If.Value, context) {
				runs = append(runs, step.Name.Value)
			}
		}
		if !slices.Equal(runs, tc.steps) {
			t.Errorf("%s (status %s): runs the steps %q, want %q", tc.what, checked.outputs["status"], runs, tc.steps)
		}
		if slices.Contains(runs, fail) {
			if failed := runStep(t, namedStep(t, job, fail), dir, map[string]string{"STAGE": "dev", "STATUS": tc.status}, fakeGo{}); !failed.failed {
				t.Errorf("%s: the step %q passes", tc.what, fail)
			}
		}
	}
}

// issueCall is a call of the fake GitHub's issues API.
type issueCall struct {
	Call        string   `json:"call"`
	IssueNumber int      `json:"issue_number"`
	Title       string   `json:"title"`
	Body        string   `json:"body"`
	State       string   `json:"state"`
	Labels      []string `json:"labels"`
}

// fakeGitHubScript runs a github-script's script as the action does (an
// async function of require, github, context and core) against open
// issues and pull requests given as JSON, and prints the calls that
// change issues.
const fakeGitHubScript = `
const fs = require('fs');
const [script, openIssues] = process.argv.slice(2);
const calls = [];
const call = (name, data) => async (params) => { calls.push({ call: name, ...params }); return { data }; };
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: { issues: {
    listForRepo: async (params) => ({ data: params.state === 'open' ? JSON.parse(fs.readFileSync(openIssues, 'utf8')) : [] }),
    create: call('create', { number: 99 }), update: call('update', {}), createComment: call('createComment', {}),
  } },
};
const context = { serverUrl: 'https://github.com', repo: { owner: 'team', repo: 'aurora-stages' }, runId: 7 };
const core = { notice: () => {} };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(script, 'utf8'))(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
`

// One issue per stage, found by the marker in its body: opened on drift,
// updated in place on more drift, closed with a comment when the drift is
// gone; another stage's issue and pull requests are never touched.
func TestDriftWorkflowKeepsOneIssuePerStage(t *testing.T) {
	workflow, _ := readWorkflow(t, "drift.yml")
	step, inputs := actionStep(workflow.Jobs["drift"], "actions/github-script")
	if step == nil || step.Name == nil || step.Name.Value != "keep the stage's drift issue" {
		t.Fatal("the drift job must keep its issue with actions/github-script, in the step keep the stage's drift issue")
	}
	node := filepath.Join(repoRootPath, "node_modules", ".bin", "node")
	if !isExecutable(node) {
		t.Fatalf("no %s to run the workflow's script: run npm ci", node)
	}
	const drift = "### Drift in dev\n\naws_rds_cluster.cluster: backup_retention_period 7 -> 1\n"
	devIssue := map[string]any{"number": 5.0, "body": "<!-- aurora-stages drift: dev -->\n\nyesterday's drift"}
	others := []map[string]any{
		{"number": 6.0, "body": "<!-- aurora-stages drift: production -->\n\nproduction's drift"},
		{"number": 7.0, "body": "<!-- aurora-stages drift: dev -->\n\na pull request quoting the marker", "pull_request": map[string]any{}},
		{"number": 8.0, "body": nil},
	}
	for _, tc := range []struct {
		what   string
		status string
		open   []map[string]any
		want   []string // call #issue state title, in order
	}{
		{"drift, no issue yet", "2", others, []string{"create #0  Drift in stage dev"}},
		{"drift again", "2", append([]map[string]any{devIssue}, others...), []string{"update #5  Drift in stage dev"}},
		{"the drift gone", "0", append([]map[string]any{devIssue}, others...), []string{"createComment #5  ", "update #5 closed "}},
		{"no drift, no issue", "0", others, nil},
	} {
		dir := t.TempDir()
		open, err := json.Marshal(tc.open)
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{"drift.md": drift, "script.js": inputs["script"], "open.json": string(open), "fake-github.js": fakeGitHubScript} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(node, "fake-github.js", "script.js", "open.json")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "STAGE=dev", "STATUS="+tc.status)
		out, err := cmd.Output()
		if err != nil {
			var stderr []byte
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = exit.Stderr
			}
			t.Fatalf("%s: the script failed: %v\n%s", tc.what, err, stderr)
		}
		var calls []issueCall
		if err := json.Unmarshal(out, &calls); err != nil {
			t.Fatalf("%s: %v\n%s", tc.what, err, out)
		}
		var got []string
		for _, c := range calls {
			got = append(got, c.Call+" #"+strconv.Itoa(c.IssueNumber)+" "+c.State+" "+c.Title)
			if c.Call == "create" || (c.Call == "update" && c.State == "") {
				if !strings.HasPrefix(c.Body, "<!-- aurora-stages drift: dev -->") || !strings.Contains(c.Body, drift) {
					t.Errorf("%s: %s with a body that does not start with dev's marker or lacks the drift:\n%s", tc.what, c.Call, c.Body)
				}
			}
			if c.Call == "create" && !slices.Equal(c.Labels, []string{"drift"}) {
				t.Errorf("%s: creates the issue with the labels %q, want [drift]", tc.what, c.Labels)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s (status %s): calls %q, want %q", tc.what, tc.status, got, tc.want)
		}
	}
}
