// Command query runs one SQL statement on a stage's database the way its
// consumers do: it reads the stage's two SSM parameters by name (never
// Terraform's outputs or state) and calls the Data API with those ARNs
// (internal/stagequery).
//
//	go run ./cmd/query --stage dev [--format table|json] [--database NAME] "select now()"
//
// Exit status: 0 on success (or the help, -h), 1 on any error, said in one
// line, 2 on a command line it does not take, said with the usage. It never
// reads or prints the secret's value: the Data API does, with the caller's
// rights.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"aurora-stages/internal/cli"
	"aurora-stages/internal/stagequery"
	"aurora-stages/settings"

	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, time.Sleep))
}

// about is the first line of the help: what the command does.
const about = "query runs one SQL statement on a stage's database through the Data API, with the ARNs the stage's SSM parameters hold."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = `usage: go run ./cmd/query --stage <stage> [--format table|json] [--database <name>] [--param name=value ...] "<statement>"`

var command = cli.Command{Name: "query", About: about, Synopsis: synopsis}

func run(args []string, stdout, stderr io.Writer, sleep func(time.Duration)) int {
	flags := command.Flags()
	stage := flags.String("stage", "", "the stage whose database to query (required)")
	format := flags.String("format", "table", "output format: table or json")
	database := flags.String("database", "", "the database to connect to (default: the stage's databaseName)")
	var parameters []rdstypes.SqlParameter
	flags.Func("param", "a parameter of the statement, `name=value`, used as :name; the value a JSON literal for its type (year=1999, rating=7.9, seen=true, note=null, 'title=\"1999\"'), else text (title=Arrival); repeat for more", func(flag string) error {
		parameter, err := stagequery.Parameter(flag)
		parameters = append(parameters, parameter)
		return err
	})
	check := func() error {
		switch {
		case *stage == "" || flags.NArg() != 1:
			return errors.New("name a stage and one statement")
		case *format != "table" && *format != "json":
			return fmt.Errorf("--format %q: must be table or json", *format)
		}
		return nil
	}
	if code, done := command.Parse(flags, args, stdout, stderr, check); done {
		return code
	}
	resolved, err := settings.LoadStage(*stage, "the bootstrap stack has no database")
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	waiting := func(message string) { fmt.Fprintln(stderr, "query:", message) }
	result, err := stagequery.Execute(context.Background(), resolved.Stages[0], *database, flags.Arg(0), parameters, waiting, sleep)
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
