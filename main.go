// Command aurora-stages synthesizes one Terraform stack per deployment stage,
// each with its own Aurora PostgreSQL Serverless v2 database, and the
// bootstrap stack that creates the bucket holding their state.
//
// Usage: go run . [stack ...]   (no stack: the stacks DB_STAGES lists,
// separated by spaces or commas; without it bootstrap and every stage of
// cdktf.json)
//
// cdktf runs the app without arguments, so DB_STAGES is how a preview
// (pr-<number>) or a restore drill (drill-<stage>), which cdktf.json does
// not list, is built: DB_STAGES=pr-42 npx cdktf deploy pr-42.
package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
	"unicode"

	"aurora-stages/internal/afterrestore"
	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/settings"
	"aurora-stages/stacks"

	"github.com/aws/aws-sdk-go-v2/service/rds"
)

func main() {
	jsiiruntime.Setup()
	var err error
	if len(os.Args) == 3 && os.Args[1] == stacks.FinishRestoreFlag {
		// Run by a restored cluster's provisioner: no synthesis.
		err = finishRestore(os.Args[2])
	} else {
		err = synthesize(os.Args[1:])
	}
	code := 0
	if err != nil && !jsiiruntime.Interrupted() {
		fmt.Fprintln(os.Stderr, "aurora-stages:", err)
		code = 1
	}
	jsiiruntime.Exit("aurora-stages", code)
}

func synthesize(args []string) error {
	settings, err := settings.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return err
	}
	fromEnvironment := len(args) == 0
	if fromEnvironment {
		args = strings.FieldsFunc(os.Getenv("DB_STAGES"), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	}
	resolved, err := settings.Resolve(args)
	if err != nil && fromEnvironment && len(args) > 0 {
		// cdktf runs the app without arguments: the names came from here.
		return fmt.Errorf("DB_STAGES=%q: %w", os.Getenv("DB_STAGES"), err)
	}
	if err != nil {
		return err
	}
	for _, warning := range resolved.Warnings {
		fmt.Fprintln(os.Stderr, "aurora-stages: warning:", warning)
	}
	return stacks.Synthesize("", resolved, func(stack, path string) {
		fmt.Printf("%s: %s\n", stack, path)
	})
}

// finishRestore turns on what a restore left off on a stage's new cluster
// (internal/afterrestore): run by the cluster's creation-time provisioner.
func finishRestore(stage string) error {
	resolved, err := settings.LoadStage(stage, "only a stage has a cluster")
	if err != nil {
		return err
	}
	cfg := resolved.Stages[0]
	ctx := context.Background()
	awsCfg, err := awsconfig.Stage(ctx, cfg)
	if err != nil {
		return err
	}
	return afterrestore.Finish(ctx, rds.NewFromConfig(awsCfg), afterrestore.Cluster{
		ID:                cfg.ClusterIdentifier(),
		IAMAuthentication: cfg.IAMDatabaseAuthentication,
		Emulator:          stacks.EmulatorLacksRestoreSwitches(cfg.Account),
	}, os.Stdout, time.Sleep)
}
