package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/tfrun"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/jsii-runtime-go"
)

// TestMain removes the jsii runtime that the CDKTF bindings, linked
// through stacks, extract when the test binary starts.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// fakeRunner records the drill's steps in order; each takes its time on
// the fake clock, and fails if told to.
type fakeRunner struct {
	clock time.Time
	calls []string
	// took and fail are keyed by step: deploy, query, destroy, delete state.
	took    map[string]time.Duration
	fail    map[string]error
	outputs []string
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{
		clock: time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC),
		took:  map[string]time.Duration{"deploy": 6*time.Minute + 12*time.Second, "query": 2100 * time.Millisecond, "destroy": 3 * time.Minute, "delete state": 430 * time.Millisecond},
		fail:  map[string]error{},
	}
}

func (f *fakeRunner) now() time.Time { return f.clock }

func (f *fakeRunner) step(name, call string) error {
	f.calls = append(f.calls, call)
	f.clock = f.clock.Add(f.took[name])
	return f.fail[name]
}

// Cdktf is the cdktf CLI as a terraform runner that takes the step's
// time and fails as told.
func (f *fakeRunner) Cdktf(stage string) tfrun.Runner {
	return &tfrun.Fake{Do: func(call tfrun.Call) error {
		args := call.Args
		// The folder cdktf writes to is the drill's own, removed at its end.
		if i := slices.Index(args, "--output"); i >= 0 {
			f.outputs = append(f.outputs, args[i+1])
			args = append(slices.Clone(args[:i]), "--output", "<drill folder>")
		}
		return f.step(args[0], "DB_STAGES="+stage+" cdktf "+strings.Join(args, " "))
	}}
}

func (f *fakeRunner) Query(cfg settings.StageConfig, sql string) (*rdsdata.ExecuteStatementOutput, error) {
	if err := f.step("query", "query "+cfg.Stage+" "+cfg.DatabaseName+": "+sql); err != nil {
		return nil, err
	}
	return &rdsdata.ExecuteStatementOutput{
		ColumnMetadata: []rdstypes.ColumnMetadata{{Name: aws.String("title")}, {Name: aws.String("year")}},
		Records:        [][]rdstypes.Field{{&rdstypes.FieldMemberStringValue{Value: "Heat"}, &rdstypes.FieldMemberLongValue{Value: 1995}}},
	}, nil
}

func (f *fakeRunner) DeleteState(cfg settings.StageConfig) (int, error) {
	return 3, f.step("delete state", "delete state "+cfg.StateKey()+" "+cfg.LockKey())
}

// runDrill runs the command in a folder whose cdktf.json has dev and
// production.
func runDrill(t *testing.T, fake *fakeRunner, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": {"service": "movies", "region": "us-east-1", "stateBucket": "movies-state", "stages": {"dev": {}, "production": {}}}}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut, fake, fake.now)
	for _, folder := range fake.outputs {
		if _, err := os.Stat(filepath.Dir(folder)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the drill's cdktf folder %s is still there (%v)", folder, err)
		}
	}
	return code, out.String(), errOut.String()
}

const (
	deployCall  = "DB_STAGES=drill-production cdktf deploy drill-production --auto-approve --output <drill folder>"
	queryCall   = "query drill-production main: select title, year from movies"
	destroyCall = "DB_STAGES=drill-production cdktf destroy drill-production --auto-approve --output <drill folder>"
	deleteCall  = "delete state movies/drill-production/terraform.tfstate movies/drill-production/terraform.tfstate.tflock"
)

// wantLines checks that the output holds each line, in this order.
func wantLines(t *testing.T, output string, lines ...string) {
	t.Helper()
	rest := output
	for _, line := range lines {
		i := strings.Index(rest, line+"\n")
		if i < 0 {
			t.Errorf("output lacks, after the lines before it:\n%s\noutput:\n%s", line, output)
			return
		}
		rest = rest[i+len(line)+1:]
	}
}

func TestDrillClonesQueriesDestroysAndDeletesTheState(t *testing.T) {
	fake := newFakeRunner()
	code, stdout, stderr := runDrill(t, fake, "--stage", "production", "--sql", "select title, year from movies")
	if want := []string{deployCall, queryCall, destroyCall, deleteCall}; !slices.Equal(fake.calls, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	wantLines(t, stdout,
		"restore-drill: drill-production: a copy-on-write clone of stage production, queried through the Data API, then destroyed with its state",
		"restore-drill: deploy/clone: DB_STAGES=drill-production cdktf deploy drill-production --auto-approve",
		"restore-drill: deploy/clone: done in 6m12s",
		"restore-drill: query: select title, year from movies",
		"title  year",
		"Heat   1995",
		"(1 row)",
		"restore-drill: query: done in 2.1s",
		"restore-drill: clean-up: destroying drill-production and deleting its state, whether or not the steps above passed",
		"restore-drill: destroy: done in 3m0s",
		"restore-drill: state deleted: every version of s3://movies-state/movies/drill-production/terraform.tfstate and its lock",
		"restore-drill: state deleted: done in 0.43s",
		"restore-drill: timings",
		"  deploy/clone   6m12s    ok",
		"  query          2.1s     ok, 1 row",
		"  destroy        3m0s     ok",
		"  state deleted  0.43s    ok, 3 object versions",
		"  total          9m14.5s  passed, nothing left",
		"restore-drill: passed: drill-production was cloned, read through the Data API, destroyed, and its state deleted",
	)
}

// The default statement needs no table.
func TestDrillRunsTheDefaultStatement(t *testing.T) {
	fake := newFakeRunner()
	if code, _, stderr := runDrill(t, fake, "--stage", "dev"); code != 0 || len(fake.calls) != 4 || fake.calls[1] != "query drill-dev main: "+defaultSQL {
		t.Errorf("exit %d (%s), steps %q; want the default statement %q", code, stderr, fake.calls, defaultSQL)
	}
}

// A failed query: the clone is destroyed and its state deleted all the
// same, and the drill fails.
func TestDrillCleansUpAfterAFailedQuery(t *testing.T) {
	fake := newFakeRunner()
	fake.fail["query"] = errors.New("the database refused the statement: ERROR: relation \"movies\" does not exist")
	code, stdout, stderr := runDrill(t, fake, "--stage", "production", "--sql", "select title, year from movies")
	if want := []string{deployCall, queryCall, destroyCall, deleteCall}; !slices.Equal(fake.calls, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	if code != 1 || stderr != "restore-drill: the drill of production failed (see above)\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the failure", code, stderr)
	}
	wantLines(t, stdout,
		"restore-drill: query: FAILED after 2.1s: the database refused the statement: ERROR: relation \"movies\" does not exist",
		"restore-drill: clean-up: destroying drill-production and deleting its state, whether or not the steps above passed",
		"restore-drill: destroy: done in 3m0s",
		"restore-drill: state deleted: done in 0.43s",
		"  query          2.1s     FAILED: the database refused the statement: ERROR: relation \"movies\" does not exist",
		"  total          9m14.5s  FAILED",
	)
}

// A deploy that failed halfway may have made part of the stage: the
// query is skipped, the rest is destroyed, the state deleted.
func TestDrillCleansUpAfterAFailedDeploy(t *testing.T) {
	fake := newFakeRunner()
	fake.fail["deploy"] = tfrun.ErrFailed
	code, stdout, _ := runDrill(t, fake, "--stage", "production", "--sql", "select title, year from movies")
	if want := []string{deployCall, destroyCall, deleteCall}; !slices.Equal(fake.calls, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLines(t, stdout,
		"restore-drill: deploy/clone: FAILED after 6m12s: cdktf deploy drill-production --auto-approve --output "+fake.outputs[0]+": exit status 1",
		"restore-drill: query: skipped: the deploy failed",
		"restore-drill: destroy: done in 3m0s",
		"restore-drill: state deleted: done in 0.43s",
		"  query          -        skipped: the deploy failed",
		"  total          9m12.4s  FAILED",
	)
}

// A failed destroy keeps the state: without it nothing could destroy what
// is left.
func TestDrillKeepsTheStateWhenTheDestroyFails(t *testing.T) {
	fake := newFakeRunner()
	fake.fail["destroy"] = tfrun.ErrFailed
	code, stdout, _ := runDrill(t, fake, "--stage", "production", "--sql", "select title, year from movies")
	if want := []string{deployCall, queryCall, destroyCall}; !slices.Equal(fake.calls, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(fake.calls, "\n"), strings.Join(want, "\n"))
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantLines(t, stdout,
		"restore-drill: destroy: FAILED after 3m0s: cdktf destroy drill-production --auto-approve --output "+fake.outputs[1]+": exit status 1",
		"restore-drill: state deleted: skipped: the destroy failed, so the state of drill-production is kept for what may be left: run the drill again to destroy it",
	)
}

func TestDrillHelp(t *testing.T) {
	for _, flag := range []string{"-h", "--help"} {
		fake := newFakeRunner()
		code, stdout, stderr := runDrill(t, fake, flag)
		first, _, _ := strings.Cut(stdout, "\n")
		if code != 0 || stderr != "" || len(fake.calls) != 0 ||
			first != "restore-drill clones a stage into drill-<stage>, queries the clone through the Data API, destroys it and deletes its state, timing each step." ||
			!strings.Contains(stdout, "-stage string") || !strings.Contains(stdout, "-sql string") {
			t.Errorf("%s: exit %d, steps %q, stderr %q\nstdout:\n%s", flag, code, fake.calls, stderr, stdout)
		}
	}
}

// Nothing runs on a usage error or a stage that is not configured: exit 2
// with a line that says why.
func TestDrillRefusesBeforeAnythingRuns(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "restore-drill: name one stage"},
		{[]string{"--stage", "dev", "select 1"}, "restore-drill: name one stage"},
		{[]string{"--stage", "dev", "--sql", " "}, "restore-drill: name one stage"},
		{[]string{"--stage", "dev", "--keep"}, "restore-drill: flag provided but not defined: -keep"},
		{[]string{"--stage", "staging"}, `restore-drill: stage "staging" is not a stage of cdktf.json, which a restore drill clones (configured: dev, production)`},
		{[]string{"--stage", "bootstrap"}, `restore-drill: stage "bootstrap" is not a stage of cdktf.json`},
		{[]string{"--stage", "drill-dev"}, `restore-drill: stage "drill-dev" is not a stage of cdktf.json`},
	}
	for _, c := range cases {
		fake := newFakeRunner()
		code, stdout, stderr := runDrill(t, fake, c.args...)
		if code != 2 || len(fake.calls) != 0 || stdout != "" || !strings.HasPrefix(stderr, c.want) {
			t.Errorf("args %q: exit %d, steps %q, stdout %q, stderr %q; want exit 2, nothing run, stderr starting %q", c.args, code, fake.calls, stdout, stderr, c.want)
		}
	}
}
