// Command migrate applies the repository's schema migrations (migrations/,
// package migrate) to a stage's database through the Data API, with the
// stage's own secret and cluster (its SSM parameters, read as a consumer
// reads them, through the stage's assumeRoleArn when it has one), waiting
// while a paused database resumes.
//
//	go run ./cmd/migrate --stage dev             apply the pending migrations
//	go run ./cmd/migrate --stage dev --plan      list what would run; change nothing
//	go run ./cmd/migrate --stage dev --status    list what is applied (by whom, when) and what is pending
//
// Exit status: 0 done (or nothing to do, or the help, -h); 1 an error or a
// refusal (a changed applied file, a gap, a failed file: nothing of it is
// applied); 2 a command line it does not take, said with the usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/cli"
	"aurora-stages/internal/stagequery"
	"aurora-stages/migrate"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Sleep))
}

// about is the first line of the help: what the command does.
const about = "migrate applies the repository's schema migrations (migrations/NNNN_description.sql) to a stage's database through the Data API, each file in one transaction with its history row."

// synopsis is the command line it takes.
const synopsis = "usage: go run ./cmd/migrate --stage <stage> [--plan | --status] [--dir migrations] [--allow-out-of-order]"

var command = cli.Command{Name: "migrate", About: about, Synopsis: synopsis}

func run(args []string, stdout, stderr io.Writer, sleep func(time.Duration)) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage whose database to migrate (required)")
	dir := flags.String("dir", "migrations", "the `folder` of the migrations")
	plan := flags.Bool("plan", false, "list the migrations that would run, and change nothing")
	status := flags.Bool("status", false, "list the applied migrations (who applied each, when) and the pending ones, and change nothing")
	outOfOrder := flags.Bool("allow-out-of-order", false, "apply a pending migration numbered below the highest applied one (otherwise refused as a gap)")
	check := func() error {
		switch {
		case *stage == "":
			return errors.New("name the stage: --stage dev")
		case *plan && *status:
			return errors.New("--plan and --status: choose one")
		}
		return cli.NoArguments(flags)()
	}
	if code, done := command.Parse(flags, args, stdout, stderr, check); done {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "migrate:", err)
		return 1
	}
	migrations, err := migrate.Load(*dir)
	if err != nil {
		return fail(err)
	}
	resolved, err := settings.LoadStage(*stage, "the bootstrap stack has no database")
	if err != nil {
		return fail(err)
	}
	cfg := resolved.Stages[0]
	ctx := context.Background()
	target, identity, err := open(ctx, cfg, stderr, sleep)
	if err != nil {
		return fail(err)
	}
	options := migrate.Options{AppliedBy: identity, AllowOutOfOrder: *outOfOrder, Progress: stdout}
	switch {
	case *status:
		state, err := migrate.ReadStatus(ctx, target, migrations)
		if err != nil {
			return fail(err)
		}
		printStatus(stdout, cfg.Stage, state)
	case *plan:
		pending, err := migrate.Plan(ctx, target, migrations, options)
		if err != nil {
			return fail(err)
		}
		printPlan(stdout, cfg.Stage, pending)
	default:
		applied, err := migrate.Apply(ctx, target, migrations, options)
		if err != nil {
			return fail(err)
		}
		if len(applied) == 0 {
			fmt.Fprintf(stdout, "migrate: stage %s is up to date: nothing to apply\n", cfg.Stage)
		} else {
			fmt.Fprintf(stdout, "migrate: stage %s: %d applied\n", cfg.Stage, len(applied))
		}
	}
	return 0
}

// open reaches the stage's database as its deploys do (the stage's
// credentials, its assumeRoleArn when it has one), and says who the caller
// is, for the history.
func open(ctx context.Context, cfg settings.StageConfig, stderr io.Writer, sleep func(time.Duration)) (migrate.Target, string, error) {
	awsCfg, err := awsconfig.Stage(ctx, cfg)
	if err != nil {
		return migrate.Target{}, "", err
	}
	db, err := stagequery.Open(ctx, cfg, awsCfg, "")
	if err != nil {
		return migrate.Target{}, "", err
	}
	identity, err := sts.NewFromConfig(awsCfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return migrate.Target{}, "", fmt.Errorf("who is applying the migrations? %w", err)
	}
	waiting := func(message string) { fmt.Fprintln(stderr, "migrate:", message) }
	return migrate.Target{
		API: db.API, ResourceARN: db.ResourceARN, SecretARN: db.SecretARN, Database: db.Name,
		Retry: db.Resume(waiting, sleep),
	}, aws.ToString(identity.Arn), nil
}

func printPlan(w io.Writer, stage string, pending []migrate.Migration) {
	if len(pending) == 0 {
		fmt.Fprintf(w, "migrate: stage %s is up to date: nothing would run\n", stage)
		return
	}
	fmt.Fprintf(w, "migrate: stage %s: %d would run, in this order (nothing was changed):\n", stage, len(pending))
	for _, m := range pending {
		fmt.Fprintf(w, "  %s (%d statements%s)\n", m.File, len(m.Statements), noTransaction(m))
	}
}

func printStatus(w io.Writer, stage string, state *migrate.Status) {
	fmt.Fprintf(w, "migrate: stage %s: %d applied, %d pending\n", stage, len(state.Applied), len(state.Pending))
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, "version\tname\tstate\tapplied at\tapplied by")
	for _, a := range state.Applied {
		fmt.Fprintf(table, "%04d\t%s\tapplied\t%s\t%s\n", a.Version, a.Name, a.AppliedAt.UTC().Format("2006-01-02 15:04:05 MST"), a.AppliedBy)
	}
	for _, m := range state.Pending {
		fmt.Fprintf(table, "%04d\t%s\tpending%s\t\t\n", m.Version, m.Name, noTransaction(m))
	}
	table.Flush()
	if state.Lock != nil {
		fmt.Fprintf(w, "  ! %s holds the migrations' lock until %s (a file applied outside a transaction)\n", state.Lock.Holder, state.Lock.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	if err := state.Check(false); err != nil {
		for _, problem := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(w, "  ! "+problem)
		}
	}
}

// noTransaction says when a file runs outside a transaction.
func noTransaction(m migrate.Migration) string {
	if m.NoTransaction {
		return ", outside a transaction"
	}
	return ""
}
