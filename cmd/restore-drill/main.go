// Command restore-drill proves that a stage's data can be restored and
// read: it clones the stage into the throwaway stage drill-<stage> (a
// copy-on-write clone of its cluster, stacks/restore.go), runs a statement
// on the clone through the Data API with the clone's own secret, then
// destroys the clone and deletes its Terraform state, and prints how long
// each step took.
//
//	go run ./cmd/restore-drill --stage production [--sql "select 1"]
//
// The deploy and the destroy are the cdktf CLI's, as a user runs them:
// DB_STAGES=drill-<stage> npx cdktf deploy drill-<stage> --auto-approve.
// The destroy and the state's deletion run whether or not the steps before
// them passed, so a failed drill leaves nothing either; only a failed
// destroy keeps the state, for the next run to destroy what is left.
//
// Exit status: 0 the drill passed and left nothing (or the help, -h); 1 a
// step failed; 2 nothing was run (a usage error, said with the usage, or a
// stage that is not configured).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/internal/stagequery"
	"aurora-stages/internal/stagestate"
	"aurora-stages/internal/tfrun"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
)

func main() {
	// The CDKTF bindings this command links (through stacks) extract jsii's
	// runtime when the program starts; Setup and Exit see that it is
	// removed again. Setup also takes over Ctrl-C: the cdktf CLI, in the
	// same process group, stops on it by itself, and the drill goes on to
	// its clean-up.
	jsiiruntime.Setup()
	cli := &cdktfCLI{stderr: os.Stderr}
	jsiiruntime.Exit("restore-drill", run(os.Args[1:], os.Stdout, os.Stderr, cli, time.Now))
}

// defaultSQL touches no table, so it runs on any stage's database.
const defaultSQL = "select current_database(), now()"

// runner does what the drill's steps do outside the process: the cdktf CLI,
// the Data API, the state bucket. Tests fake it.
type runner interface {
	// Cdktf is the cdktf CLI, which runs terraform, for the stage: it runs
	// in the project folder with DB_STAGES naming the stage (cdktf runs
	// the app without arguments, and a drill is not a stage of
	// cdktf.json).
	Cdktf(stage string) tfrun.Runner
	// Query runs a statement on the stage's database, as make query does,
	// through the stage's role (assumeRoleArn) when it has one, as its
	// deploy reached it.
	Query(cfg settings.StageConfig, sql string) (*rdsdata.ExecuteStatementOutput, error)
	// DeleteState deletes every version of the stage's state and lock
	// objects, and says how many it deleted.
	DeleteState(cfg settings.StageConfig) (int, error)
}

// about is the first line of the help: what the command does.
const about = "restore-drill clones a stage into drill-<stage>, queries the clone through the Data API, destroys it and deletes its state, timing each step."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/restore-drill --stage <stage> [--sql <statement>]"

var command = cli.Command{Name: "restore-drill", About: about, Synopsis: synopsis}

// Exit statuses.
const (
	passed = 0
	failed = 1
	usage  = 2
)

func run(args []string, stdout, stderr io.Writer, r runner, now func() time.Time) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage of cdktf.json to clone (required)")
	sql := flags.String("sql", defaultSQL, "the statement to run on the clone through the Data API")
	oneStage := func() error {
		if *stage == "" || flags.NArg() > 0 || strings.TrimSpace(*sql) == "" {
			return errors.New("name one stage, and a statement if not the default")
		}
		return nil
	}
	if code, done := command.Parse(flags, args, stdout, stderr, oneStage); done {
		return code
	}
	drill, err := drillOf(*stage)
	if err != nil {
		fmt.Fprintln(stderr, "restore-drill:", err)
		return usage
	}
	d := &drillRun{cfg: drill, sql: *sql, stdout: stdout, stderr: stderr, runner: r, now: now}
	return d.run()
}

// drillOf resolves the restore drill of a stage of cdktf.json, refusing
// anything else before a step runs.
func drillOf(stage string) (settings.StageConfig, error) {
	loaded, err := settings.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return settings.StageConfig{}, err
	}
	if !slices.Contains(loaded.StageNames(), stage) {
		return settings.StageConfig{}, fmt.Errorf("stage %q is not a stage of cdktf.json, which a restore drill clones (configured: %s)", stage, strings.Join(loaded.StageNames(), ", "))
	}
	resolved, err := loaded.Resolve([]string{settings.DrillPrefix + stage})
	if err != nil {
		return settings.StageConfig{}, err
	}
	return resolved.Stages[0], nil
}

// step is one step of the drill as the summary reports it.
type step struct {
	name    string
	took    time.Duration
	outcome string
	ran     bool
	err     error
}

type drillRun struct {
	cfg            settings.StageConfig
	sql            string
	stdout, stderr io.Writer
	runner         runner
	now            func() time.Time
	steps          []*step
}

func (d *drillRun) say(format string, args ...any) {
	fmt.Fprintf(d.stdout, "restore-drill: "+format+"\n", args...)
}

// timed runs one step, printing its start, and its end with its time.
func (d *drillRun) timed(name, what string, do func() (string, error)) *step {
	s := &step{name: name, ran: true}
	d.steps = append(d.steps, s)
	d.say("%s: %s", name, what)
	start := d.now()
	s.outcome, s.err = do()
	s.took = d.now().Sub(start)
	if s.err != nil {
		d.say("%s: FAILED after %s: %v", name, round(s.took), s.err)
		s.outcome = "FAILED: " + s.err.Error()
	} else {
		d.say("%s: done in %s", name, round(s.took))
		if s.outcome == "" {
			s.outcome = "ok"
		}
	}
	return s
}

// skipped records a step that did not run, and why.
func (d *drillRun) skipped(name, why string) {
	d.steps = append(d.steps, &step{name: name, outcome: "skipped: " + why})
	d.say("%s: skipped: %s", name, why)
}

func (d *drillRun) run() int {
	stage, source := d.cfg.Stage, d.cfg.RestoreFrom.Stage
	start := d.now()
	d.say("%s: a copy-on-write clone of stage %s, queried through the Data API, then destroyed with its state", stage, source)
	// The drill synthesizes into a folder of its own: cdktf removes the
	// folders of the stacks it did not synthesize this time from its output
	// folder, and the project's cdktf.out holds the other stages'.
	outdir, err := os.MkdirTemp("", "restore-drill-")
	if err != nil {
		fmt.Fprintln(d.stderr, "restore-drill:", err)
		return failed
	}
	defer os.RemoveAll(outdir)
	cli := d.runner.Cdktf(stage)
	cdktf := func(command string) func() (string, error) {
		return func() (string, error) {
			args := []string{command, stage, "--auto-approve", "--output", filepath.Join(outdir, "cdktf.out")}
			if err := cli.Run(context.Background(), "", d.stdout, d.stderr, args...); err != nil {
				return "", fmt.Errorf("cdktf %s: %w", strings.Join(args, " "), err)
			}
			return "", nil
		}
	}

	deploy := d.timed("deploy/clone", fmt.Sprintf("DB_STAGES=%s cdktf deploy %s --auto-approve", stage, stage), cdktf("deploy"))
	switch {
	case deploy.err != nil:
		d.skipped("query", "the deploy failed")
	case jsiiruntime.Interrupted():
		d.skipped("query", "interrupted")
	default:
		d.timed("query", d.sql, func() (string, error) {
			result, err := d.runner.Query(d.cfg, d.sql)
			if err != nil {
				return "", err
			}
			if err := stagequery.WriteTable(d.stdout, result); err != nil {
				return "", err
			}
			if len(result.ColumnMetadata) == 0 {
				return "ok, " + stagequery.Updated(result.NumberOfRecordsUpdated), nil
			}
			return "ok, " + stagequery.Rows(len(result.Records)), nil
		})
	}

	// The clean-up runs whatever happened above: a deploy that failed
	// halfway may have made a security group, a secret or the clone.
	d.say("clean-up: destroying %s and deleting its state, whether or not the steps above passed", stage)
	destroy := d.timed("destroy", fmt.Sprintf("DB_STAGES=%s cdktf destroy %s --auto-approve", stage, stage), cdktf("destroy"))
	if destroy.err != nil {
		// Without its state nothing could destroy what the failed destroy
		// left; the next drill's deploy takes the state up again.
		d.skipped("state deleted", fmt.Sprintf("the destroy failed, so the state of %s is kept for what may be left: run the drill again to destroy it", stage))
	} else {
		d.timed("state deleted", fmt.Sprintf("every version of s3://%s/%s and its lock", d.cfg.Account.StateBucket, d.cfg.StateKey()), func() (string, error) {
			deleted, err := d.runner.DeleteState(d.cfg)
			return fmt.Sprintf("ok, %d object versions", deleted), err
		})
	}

	// The drill passes when every step ran and none failed.
	code, outcome := passed, "passed, nothing left"
	for _, s := range d.steps {
		if s.err != nil || !s.ran {
			code, outcome = failed, "FAILED"
		}
	}
	d.steps = append(d.steps, &step{name: "total", took: d.now().Sub(start), ran: true, outcome: outcome})
	d.summary()
	if code == passed {
		d.say("passed: %s was cloned, read through the Data API, destroyed, and its state deleted", stage)
	} else {
		fmt.Fprintf(d.stderr, "restore-drill: the drill of %s failed (see above)\n", source)
	}
	return code
}

// summary prints every step with its time.
func (d *drillRun) summary() {
	d.say("timings")
	table := tabwriter.NewWriter(d.stdout, 0, 0, 2, ' ', 0)
	for _, s := range d.steps {
		took := "-"
		if s.ran {
			took = round(s.took)
		}
		fmt.Fprintf(table, "  %s\t%s\t%s\n", s.name, took, s.outcome)
	}
	table.Flush()
}

// round keeps a tenth of a second for the steps that take seconds to
// minutes, and a hundredth below one (0.43s, not 430ms).
func round(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(100 * time.Millisecond).String()
}

// cdktfCLI is the runner of the command: the cdktf CLI as a user runs it,
// the Data API as the stage's deploy reaches it, the state bucket as the
// stage's S3 backend reaches it. stderr is for the lines of a query that
// waits for a paused database.
type cdktfCLI struct {
	stderr io.Writer
}

func (c *cdktfCLI) Cdktf(stage string) tfrun.Runner {
	// npx cdktf, or the cdktf PATH names first: make puts the project's
	// node_modules/.bin there, as npx does in the project folder.
	cli := tfrun.Exec{Program: "npx", Args: []string{"cdktf"}, Env: []string{"DB_STAGES=" + stage}}
	if path, err := exec.LookPath("cdktf"); err == nil {
		cli.Program, cli.Args = path, nil
	}
	return cli
}

func (c *cdktfCLI) Query(cfg settings.StageConfig, sql string) (*rdsdata.ExecuteStatementOutput, error) {
	waiting := func(message string) { fmt.Fprintln(c.stderr, "restore-drill:", message) }
	ctx, cancel := context.WithTimeout(context.Background(), stagequery.ResumeWait+time.Minute)
	defer cancel()
	// The clone lives where its stage does, and its deploy reached it
	// through the stage's role: the caller's own credentials may be of
	// another account, or reach none of it.
	awsCfg, err := awsconfig.Stage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db, err := stagequery.Open(ctx, cfg, awsCfg, "")
	if err != nil {
		return nil, err
	}
	return db.Execute(ctx, sql, nil, waiting, time.Sleep)
}

func (c *cdktfCLI) DeleteState(cfg settings.StageConfig) (int, error) {
	return stagestate.DeleteStage(context.Background(), cfg)
}
