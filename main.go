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

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/dataapi"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/stacks"

	"github.com/aws/aws-sdk-go-v2/service/rds"
)

func main() {
	// Run by a restored cluster's provisioner, with no synthesis: no jsii.
	if len(os.Args) == 3 && os.Args[1] == stacks.EnableDataAPIFlag {
		if err := enableDataAPI(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "aurora-stages:", err)
			os.Exit(1)
		}
		return
	}
	jsiiruntime.Setup()
	code := 0
	if err := run(os.Args[1:]); err != nil && !jsiiruntime.Interrupted() {
		fmt.Fprintln(os.Stderr, "aurora-stages:", err)
		code = 1
	}
	jsiiruntime.Exit("aurora-stages", code)
}

func run(args []string) error {
	settings, err := stacks.LoadCdktfJSON("cdktf.json", os.Getenv)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		args = strings.FieldsFunc(os.Getenv("DB_STAGES"), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	}
	resolved, err := settings.Resolve(args)
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

// enableDataAPI turns the Data API on for a stage's cluster, which a
// restore created without it (internal/dataapi).
func enableDataAPI(stage string) error {
	cfg, err := stacks.LoadStage(stage, "only a stage has a cluster")
	if err != nil {
		return err
	}
	ctx := context.Background()
	awsCfg, err := awsconfig.Stage(ctx, cfg.Stages[0])
	if err != nil {
		return err
	}
	client := rds.NewFromConfig(awsCfg)
	id := cfg.Stages[0].ClusterIdentifier()
	if stacks.EmulatorLacksDataAPISwitch(cfg.Stages[0].Account) {
		return dataapi.SendToEmulator(ctx, client, id, os.Stdout)
	}
	return dataapi.Enable(ctx, client, id, os.Stdout, time.Sleep)
}
