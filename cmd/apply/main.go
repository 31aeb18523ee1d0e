// Command apply applies a plan saved by the review (go run ./cmd/review
// --stage S --save DIR), exactly as it was reviewed: no synthesis and no
// new plan. It prints the saved review first, then refuses, and applies
// nothing, when the folder is not a whole saved plan, when it was made
// for another stage, account or region than the one these credentials
// reach, or when the stage's state moved since it was planned (a stale
// plan: review it again).
//
//	go run ./cmd/apply --stage production --plan saved-plan
//
// Exit status: 0 applied (or the help, -h); 1 refused or failed; 2 a
// command line it does not take, said with the usage; 130 interrupted
// (Ctrl-C or SIGTERM), once terraform stopped.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/internal/tfrun"
	"aurora-stages/savedplan"
	"aurora-stages/settings"
)

func main() {
	// terraform, which apply waits for, gets a terminal's Ctrl-C itself and
	// stops at a safe point: apply waits for it, then exits 130 with one
	// line, instead of leaving it to finish unseen.
	var interrupted atomic.Bool
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		// A second Ctrl-C ends the process at once, the default way.
		signal.Stop(signals)
		interrupted.Store(true)
	}()
	code := run(os.Args[1:], os.Stdout, os.Stderr, reachedTarget)
	if interrupted.Load() {
		fmt.Fprintln(os.Stderr, "apply: interrupted")
		code = 130
	}
	os.Exit(code)
}

// about is the first line of the help: what the command does.
const about = "apply applies a plan the review saved (--save), exactly as it was reviewed, after printing its review; it refuses a plan for another stage, account or region, and a stale one."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/apply --stage <stage> --plan <folder>"

var command = cli.Command{Name: "apply", About: about, Synopsis: synopsis}

// targetFunc says what the credentials reach for a stage: its account
// (asked of AWS) and its region (from its settings).
type targetFunc func(stage string) (savedplan.Target, error)

func run(args []string, stdout, stderr io.Writer, target targetFunc) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage to apply the plan to (required): it must be the stage the plan was made for")
	folder := flags.String("plan", "", "the `folder` the review saved the plan in (required)")
	check := func() error {
		if *stage == "" || *folder == "" {
			return errors.New("name the stage and the saved plan's folder: --stage dev --plan saved-plan")
		}
		return cli.NoArguments(flags)()
	}
	if code, done := command.Parse(flags, args, stdout, stderr, check); done {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "apply:", err)
		return 1
	}
	saved, err := savedplan.Open(*folder)
	if err != nil {
		return fail(err)
	}
	review, err := saved.ReviewText()
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "apply: applying the plan in %s; its review:\n\n%s\n", *folder, review)
	if m := saved.Manifest; m.ReviewExitStatus == 2 {
		fmt.Fprintf(stdout, "The review flagged %d risk(s) and nobody accepted them with --accept-risks: applying this plan accepts them.\n\n", m.Risks)
	}
	reached, err := target(*stage)
	if err != nil {
		return fail(err)
	}
	if err := saved.Check(reached); err != nil {
		return fail(err)
	}
	if err := saved.Apply(context.Background(), tfrun.Exec{}, stdout); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "apply: stage %s: the reviewed plan is applied.\n", *stage)
	return 0
}

// reachedTarget asks AWS, with the credentials the stage deploys with (its
// assumeRoleArn when it has one), which account they reach.
func reachedTarget(stage string) (savedplan.Target, error) {
	resolved, err := settings.LoadStage(stage, "apply applies one stage's saved plan")
	if err != nil {
		return savedplan.Target{}, err
	}
	cfg := resolved.Stages[0]
	account, err := awsconfig.StageAccount(context.Background(), cfg)
	if err != nil {
		return savedplan.Target{}, err
	}
	return savedplan.Target{Stage: stage, Account: account, Region: cfg.Region}, nil
}
