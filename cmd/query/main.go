// Command query runs one SQL statement on a stage's database the way its
// consumers do: it reads the stage's two SSM parameters by name (never
// Terraform's outputs or state) and calls the Data API with those ARNs
// (internal/stagequery).
//
//	go run ./cmd/query --stage dev [--format table|json] [--database NAME] "select now()"
//
// Exit status: 0 on success, 1 on any error, said in one line. It never
// reads or prints the secret's value: the Data API does, with the caller's
// rights.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/internal/stagequery"
	"aurora-stages/stacks"
)

func main() {
	// The CDKTF bindings this command links (through stacks) extract jsii's
	// runtime when the program starts; Setup and Exit see that it is
	// removed again, though nothing here calls jsii.
	jsiiruntime.Setup()
	jsiiruntime.Exit("query", run(os.Args[1:], os.Stdout, os.Stderr, time.Sleep))
}

func run(args []string, stdout, stderr io.Writer, sleep func(time.Duration)) int {
	flags := flag.NewFlagSet("query", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stage := flags.String("stage", "", "the stage whose database to query")
	format := flags.String("format", "table", "output format: table or json")
	database := flags.String("database", "", "the database to connect to (default: the stage's databaseName)")
	if err := flags.Parse(args); err != nil {
		return 1
	}
	if *stage == "" || flags.NArg() != 1 {
		fmt.Fprintln(stderr, `query: name a stage and one statement: go run ./cmd/query --stage dev "select now()"`)
		return 1
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "query: --format %q: must be table or json\n", *format)
		return 1
	}
	resolved, err := stacks.LoadStage(*stage, "the bootstrap stack has no database")
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	waiting := func(message string) { fmt.Fprintln(stderr, "query:", message) }
	result, err := stagequery.Execute(context.Background(), resolved.Stages[0], *database, flags.Arg(0), waiting, sleep)
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	if *format == "json" {
		err = stagequery.WriteJSON(stdout, result)
	} else {
		err = stagequery.WriteTable(stdout, result)
	}
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	return 0
}
