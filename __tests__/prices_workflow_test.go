package tests

// The prices workflow's promises, read from the workflow as actionlint
// parses it: when it runs (each job's `if` evaluated), the regions it
// prices (its step run by bash with a fake go), a pull request proposed
// only for a changed table and only after the price tests, and the one
// pull request it keeps (the github-script run by Node.js against a fake
// GitHub).

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func pricesJob(t *testing.T) *actionlint.Job {
	t.Helper()
	workflow, _ := readWorkflow(t, "prices.yml")
	job := workflow.Jobs["prices"]
	if job == nil {
		t.Fatal("prices.yml has no job prices")
	}
	return job
}

func TestPricesWorkflowRunsMonthlyAndByHand(t *testing.T) {
	workflow, _ := readWorkflow(t, "prices.yml")
	var hooks []string
	for _, event := range workflow.On {
		hooks = append(hooks, event.EventName())
		if schedule, ok := event.(*actionlint.ScheduledEvent); ok {
			// minute hour day-of-month * *: once a month.
			fields := []string{}
			if len(schedule.Schedules) == 1 {
				fields = strings.Fields(schedule.Schedules[0].Cron.Value)
			}
			if len(fields) != 5 || !regexp.MustCompile(`^[0-9]+$`).MatchString(fields[2]) || fields[3] != "*" || fields[4] != "*" {
				t.Errorf("prices.yml: schedule %v, want one monthly cron (minute hour day * *)", schedule.Schedules)
			}
		}
	}
	slices.Sort(hooks)
	if want := []string{"schedule", "workflow_dispatch"}; !slices.Equal(hooks, want) {
		t.Errorf("prices.yml runs on %q, want %q", hooks, want)
	}
	for _, tc := range []struct {
		event previewEvent
		jobs  []string
	}{
		{previewEvent{name: "schedule"}, []string{"prices"}},
		{previewEvent{name: "workflow_dispatch"}, []string{"prices"}},
		{previewEvent{name: "push"}, nil},
		{previewEvent{"pull_request", "opened", "", nil, "open", false}, nil},
	} {
		if runs := jobsThatRun(t, workflow, tc.event.context()); !slices.Equal(runs, tc.jobs) {
			t.Errorf("%s: runs jobs %q, want %q", tc.event.name, runs, tc.jobs)
		}
	}

	job := pricesJob(t)
	// Exactly these scopes: the table's commit and branch, the pull request.
	scopes := map[string]string{}
	if job.Permissions != nil {
		for name, permission := range job.Permissions.Scopes {
			scopes[name] = permission.Value.Value
		}
	}
	if want := map[string]string{"contents": "write", "pull-requests": "write"}; len(scopes) != len(want) || scopes["contents"] != "write" || scopes["pull-requests"] != "write" {
		t.Errorf("the prices job's permissions %v, want exactly %v", scopes, want)
	}
	// The Price List is public: no AWS role, no OIDC token.
	if step, _ := actionStep(job, "aws-actions/configure-aws-credentials"); step != nil {
		t.Error("the prices job assumes an AWS role: AWS's Price List needs none")
	}
	if _, checkout := actionStep(job, "actions/checkout"); checkout["persist-credentials"] != "false" {
		t.Errorf("the checkout keeps its credentials (persist-credentials %q): the pull request is made through the API", checkout["persist-credentials"])
	}
	if job.Concurrency == nil || job.Concurrency.Group.Value != "prices" ||
		job.Concurrency.CancelInProgress == nil || job.Concurrency.CancelInProgress.Value {
		t.Error("the prices job's concurrency must be the group prices, not cancelled: two runs would move the branch under each other")
	}
}

// The regions are cdktf.json's stages', each once, sorted, from the same
// list the review's matrix is; no stage, or a list that fails, fails.
func TestPricesWorkflowPricesTheStagesRegions(t *testing.T) {
	step := namedStep(t, pricesJob(t), "regions")
	matrix := `[{"stage":"dev","region":"us-east-1","role_variable":"AWS_REVIEW_ROLE_DEV"},` +
		`{"stage":"prod-eu","region":"eu-central-1","role_variable":"AWS_REVIEW_ROLE_PROD_EU"},` +
		`{"stage":"production","region":"us-east-1","role_variable":"AWS_REVIEW_ROLE_PRODUCTION"}]` + "\n"
	listed := runStep(t, step, t.TempDir(), nil, fakeGo{stdout: matrix})
	if want := []string{"run ./cmd/review --stages-matrix"}; !slices.Equal(listed.goCalls, want) {
		t.Errorf("the regions step ran go %q, want %q", listed.goCalls, want)
	}
	if listed.failed || listed.outputs["regions"] != "eu-central-1,us-east-1" {
		t.Errorf("regions %q (failed: %v), want eu-central-1,us-east-1\n%s", listed.outputs["regions"], listed.failed, listed.log)
	}
	for what, fake := range map[string]fakeGo{"no stage": {stdout: "[]\n"}, "the stage list failed": {status: 1}} {
		if run := runStep(t, step, t.TempDir(), nil, fake); !run.failed || run.outputs["regions"] != "" {
			t.Errorf("%s: the regions step passed with regions %q", what, run.outputs["regions"])
		}
	}
}

// A pull request is proposed only when the regenerated table differs from
// the checked-out one, and only after the price tests; a failed
// regeneration fails the job before either.
func TestPricesWorkflowProposesOnlyAChangedTable(t *testing.T) {
	job := pricesJob(t)
	regenerate := namedStep(t, job, "regenerate")
	const tests, propose = "price tests", "open or update the pull request"
	const table = "internal/prices/prices.json"
	const changes = "1 price changed or added:\n\n| price | region | before | after |\n| --- | --- | --- | --- |\n| `kms-key-month` | eu-central-1 | none | 1 USD per Keys (published 2026-10-02) |\n"
	for _, tc := range []struct {
		what    string
		edit    bool // the table in the work tree differs from the commit
		fake    fakeGo
		changed string
		steps   []string
	}{
		{"a new table", true, fakeGo{}, "true", []string{tests, propose}},
		{"the same table", false, fakeGo{}, "false", nil},
		{"a price that matches no product", true, fakeGo{status: 1}, "", nil},
	} {
		dir, temp := t.TempDir(), t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(table)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, table), []byte(`{"prices": []}`+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"init", "-q"}, {"add", table}, {"-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "table"}} {
			git := exec.Command("git", args...)
			git.Dir = dir
			if out, err := git.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		// The fake go writes nothing: the work tree is as cmd/prices
		// would have left it.
		if tc.edit {
			if err := os.WriteFile(filepath.Join(dir, table), []byte(`{"prices": [{"name": "kms-key-month"}]}`+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(temp, "changes.md"), []byte(changes), 0o644); err != nil {
			t.Fatal(err)
		}
		run := runStep(t, regenerate, dir, map[string]string{"REGIONS": "eu-central-1,us-east-1", "RUNNER_TEMP": temp}, tc.fake)
		if want := []string{"run ./cmd/prices --regions eu-central-1,us-east-1 --changes " + temp + "/changes.md"}; !slices.Equal(run.goCalls, want) {
			t.Errorf("%s: ran go %q, want %q", tc.what, run.goCalls, want)
		}
		if run.failed != (tc.fake.status != 0) || run.outputs["changed"] != tc.changed {
			t.Errorf("%s: failed %v, changed %q; want failed %v, changed %q\n%s", tc.what, run.failed, run.outputs["changed"], tc.fake.status != 0, tc.changed, run.log)
		}
		if tc.changed == "true" && !strings.Contains(run.summary, changes) {
			t.Errorf("%s: the job summary lacks the changes:\n%s", tc.what, run.summary)
		}
		if tc.changed == "false" && !strings.Contains(run.summary, "nothing to propose") {
			t.Errorf("%s: the job summary does not say there is nothing to propose:\n%s", tc.what, run.summary)
		}
		if run.failed {
			// GitHub runs no later step without always() or failure().
			continue
		}
		context := map[string]any{"steps": map[string]any{"regenerate": map[string]any{"outputs": map[string]any{"changed": run.outputs["changed"]}}}}
		var runs []string
		for _, step := range job.Steps[slices.Index(job.Steps, regenerate)+1:] {
			if step.If == nil {
				t.Errorf("the step %v after the regeneration runs whether or not the table changed", step.Name)
				continue
			}
			if evalCondition(t, step.If.Value, context) {
				runs = append(runs, step.Name.Value)
			}
		}
		if !slices.Equal(runs, tc.steps) {
			t.Errorf("%s: runs the steps %q, want %q", tc.what, runs, tc.steps)
		}
	}
	if names := stepNames(job); slices.Index(names, tests) > slices.Index(names, propose) {
		t.Errorf("the steps %q: the price tests must come before the pull request", names)
	}
}

func stepNames(job *actionlint.Job) []string {
	var names []string
	for _, step := range job.Steps {
		if step.Name != nil {
			names = append(names, step.Name.Value)
		}
	}
	return names
}

// The price tests are cmd/prices' and internal/prices', and every test of
// the table and of the cost section, not the workflows' (which need the
// project's Node.js); a failing one fails the step.
func TestPricesWorkflowRunsThePriceTests(t *testing.T) {
	step := namedStep(t, pricesJob(t), "price tests")
	run := runStep(t, step, t.TempDir(), nil, fakeGo{})
	want := []string{"test -count=1 ./cmd/prices/ ./internal/prices/", "test -count=1 -short -run Cost|PriceTable ./__tests__/"}
	if run.failed || !slices.Equal(run.goCalls, want) {
		t.Errorf("the price tests ran go %q (failed: %v), want %q", run.goCalls, run.failed, want)
	}
	if failed := runStep(t, step, t.TempDir(), nil, fakeGo{status: 1}); !failed.failed {
		t.Error("the price tests' step passes when go test fails")
	}
	script := step.Exec.(*actionlint.ExecRun).Run.Value
	selected := regexp.MustCompile(`-run '([^']+)' \./__tests__/`).FindStringSubmatch(script)
	if selected == nil {
		t.Fatalf("no go test -run '...' ./__tests__/ in the price tests:\n%s", script)
	}
	selects := regexp.MustCompile(selected[1])
	for file, included := range map[string]bool{"cost_test.go": true, "prices_workflow_test.go": false} {
		source, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		names := regexp.MustCompile(`(?m)^func (Test\w+)\(t \*testing\.T\)`).FindAllStringSubmatch(string(source), -1)
		if len(names) == 0 {
			t.Fatalf("no test in %s", file)
		}
		for _, name := range names {
			if selects.MatchString(name[1]) != included {
				t.Errorf("the price tests' -run %q: %s of %s selected %v, want %v", selected[1], name[1], file, !included, included)
			}
		}
	}
}

// pullRequestCall is a call of the fake GitHub's git and pulls APIs.
type pullRequestCall struct {
	Call       string `json:"call"`
	Ref        string `json:"ref"`
	SHA        string `json:"sha"`
	Force      bool   `json:"force"`
	Head       string `json:"head"`
	Base       string `json:"base"`
	State      string `json:"state"`
	PullNumber int    `json:"pull_number"`
	Title      string `json:"title"`
	Body       string `json:"body"`
	Content    string `json:"content"`
	// Tree is the entries of createTree, the tree's SHA of createCommit.
	Tree    json.RawMessage `json:"tree"`
	Parents []string        `json:"parents"`
}

type treeEntry struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
	SHA  string `json:"sha"`
}

// fakePullRequestGitHub runs a github-script's script as the action does
// against a repository whose branch prices/update exists or not (getRef
// answers 200, 404, or 500) and whose open pull requests from it are
// given, and prints every call.
const fakePullRequestGitHub = `
const fs = require('fs');
const [script, state] = process.argv.slice(2);
const { refStatus, openPulls } = JSON.parse(fs.readFileSync(state, 'utf8'));
const calls = [];
const call = (name, data) => async (params) => { calls.push({ call: name, ...params }); return { data }; };
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: {
    git: {
      getCommit: call('getCommit', { sha: 'base', tree: { sha: 'basetree' } }),
      createBlob: call('createBlob', { sha: 'newblob' }),
      createTree: call('createTree', { sha: 'newtree' }),
      createCommit: call('createCommit', { sha: 'newcommit' }),
      getRef: async (params) => {
        calls.push({ call: 'getRef', ...params });
        if (refStatus !== 200) { const e = new Error('HttpError ' + refStatus); e.status = refStatus; throw e; }
        return { data: { ref: 'refs/' + params.ref, object: { sha: 'oldcommit' } } };
      },
      updateRef: call('updateRef', {}), createRef: call('createRef', {}),
    },
    pulls: {
      list: async (params) => {
        calls.push({ call: 'list', ...params });
        return { data: params.state === 'open' && params.head === 'team:prices/update' ? openPulls : [] };
      },
      update: call('update', {}), create: call('create', { number: 31 }),
    },
  },
};
const context = { serverUrl: 'https://github.com', repo: { owner: 'team', repo: 'aurora-stages' }, runId: 7, sha: 'base' };
const core = { notice: () => {} };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', fs.readFileSync(script, 'utf8'))(require, github, context, core)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
`

// One pull request, from prices/update: the new table committed on the
// checked-out commit, the branch created or moved there, the open pull
// request updated or one opened, its description the changes; an error
// reading the branch stops it before any pull request.
func TestPricesWorkflowKeepsOnePullRequest(t *testing.T) {
	job := pricesJob(t)
	step, inputs := actionStep(job, "actions/github-script")
	if step == nil || step.Name == nil || step.Name.Value != "open or update the pull request" {
		t.Fatal("the prices job must keep its pull request with actions/github-script, in the step open or update the pull request")
	}
	if branch := envMap(job.Env)["BRANCH"]; branch != "prices/update" {
		t.Fatalf("the job's BRANCH is %q, want prices/update", branch)
	}
	node := filepath.Join(repoRootPath, "node_modules", ".bin", "node")
	if !isExecutable(node) {
		t.Fatalf("no %s to run the workflow's script: run npm ci", node)
	}
	const table = `{"prices": [{"name": "kms-key-month", "region": "eu-central-1"}]}` + "\n"
	const changes = "1 price changed or added:\n\n| price | region | before | after |\n| --- | --- | --- | --- |\n| `kms-key-month` | eu-central-1 | none | 1 USD per Keys (published 2026-10-02) |\n"
	commitAndRef := []string{"getCommit", "createBlob", "createTree", "createCommit", "getRef heads/prices/update"}
	for _, tc := range []struct {
		what      string
		refStatus int
		open      []map[string]any
		want      []string // after commitAndRef
		fails     bool
	}{
		{"the first run", 404, nil, []string{"createRef refs/heads/prices/update newcommit", "list open team:prices/update", "create prices/update -> main"}, false},
		{"a pull request open", 200, []map[string]any{{"number": 12.0}}, []string{"updateRef heads/prices/update newcommit force", "list open team:prices/update", "update #12"}, false},
		{"the last one closed, its branch left", 200, nil, []string{"updateRef heads/prices/update newcommit force", "list open team:prices/update", "create prices/update -> main"}, false},
		{"the branch unreadable", 500, nil, nil, true},
	} {
		dir, temp := t.TempDir(), t.TempDir()
		state, err := json.Marshal(map[string]any{"refStatus": tc.refStatus, "openPulls": append([]map[string]any{}, tc.open...)})
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"internal/prices/prices.json": table, "script.js": inputs["script"], "state.json": string(state),
			"fake-github.js": fakePullRequestGitHub,
		}
		for name, content := range files {
			if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(name)), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(temp, "changes.md"), []byte(changes), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(node, "fake-github.js", "script.js", "state.json")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BRANCH=prices/update", "GITHUB_REF_NAME=main", "RUNNER_TEMP="+temp, "REGIONS=eu-central-1,us-east-1")
		out, err := cmd.Output()
		if tc.fails {
			if err == nil {
				t.Errorf("%s: the script passed: %s", tc.what, out)
			}
			continue
		}
		if err != nil {
			var stderr []byte
			if exit, ok := err.(*exec.ExitError); ok {
				stderr = exit.Stderr
			}
			t.Fatalf("%s: the script failed: %v\n%s", tc.what, err, stderr)
		}
		var calls []pullRequestCall
		if err := json.Unmarshal(out, &calls); err != nil {
			t.Fatalf("%s: %v\n%s", tc.what, err, out)
		}
		var got []string
		for _, c := range calls {
			switch c.Call {
			case "getRef":
				got = append(got, c.Call+" "+c.Ref)
			case "createRef", "updateRef":
				line := c.Call + " " + c.Ref + " " + c.SHA
				if c.Force {
					line += " force"
				}
				got = append(got, line)
			case "list":
				got = append(got, c.Call+" "+c.State+" "+c.Head)
			case "create":
				got = append(got, c.Call+" "+c.Head+" -> "+c.Base)
			case "update":
				got = append(got, "update #"+strconv.Itoa(c.PullNumber))
			default:
				got = append(got, c.Call)
			}
			switch c.Call {
			case "createBlob":
				if c.Content != table {
					t.Errorf("%s: the commit's table is %q, want the regenerated one, %q", tc.what, c.Content, table)
				}
			case "createTree":
				var entries []treeEntry
				if err := json.Unmarshal(c.Tree, &entries); err != nil || len(entries) != 1 ||
					entries[0] != (treeEntry{"internal/prices/prices.json", "100644", "newblob"}) {
					t.Errorf("%s: the commit's tree %s, want the table alone", tc.what, c.Tree)
				}
			case "createCommit":
				if !slices.Equal(c.Parents, []string{"base"}) || string(c.Tree) != `"newtree"` {
					t.Errorf("%s: the commit's parents %q and tree %s, want the checked-out commit and the new tree", tc.what, c.Parents, c.Tree)
				}
			case "create", "update":
				if !strings.Contains(c.Body, changes) || !strings.Contains(c.Body, "https://github.com/team/aurora-stages/actions/runs/7") ||
					!strings.Contains(c.Body, "--regions eu-central-1,us-east-1") {
					t.Errorf("%s: the pull request's description lacks the changes, the run or the regions:\n%s", tc.what, c.Body)
				}
				if !strings.HasPrefix(c.Title, "Price table: AWS's list prices of ") {
					t.Errorf("%s: title %q", tc.what, c.Title)
				}
			}
		}
		if want := append(slices.Clone(commitAndRef), tc.want...); !slices.Equal(got, want) {
			t.Errorf("%s: calls\n  %q\nwant\n  %q", tc.what, got, want)
		}
	}
}
