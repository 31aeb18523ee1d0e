// Command outputs-doc writes the table of the stacks' outputs into
// docs/stack.md, between its markers, from the outputs and descriptions of
// the synthesized stacks the golden test keeps (__tests__/testdata: every
// test stage's cdk.tf.json, byte for byte what the app synthesizes, bootstrap
// included):
//
//	go generate ./...    (runs: go run ../../cmd/outputs-doc in internal/outputsdoc)
//
// A test fails when the checked-in table differs from what it would write.
//
// Exit status: 0 the file written (or the help, -h), 1 an error, 2 a
// command line it does not take, said with the usage.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"aurora-stages/internal/cli"
	"aurora-stages/internal/outputsdoc"
)

const about = "outputs-doc writes the table of the stacks' outputs into docs/stack.md from the synthesized stacks' outputs and descriptions."

const synopsis = "usage: go run ./cmd/outputs-doc [-stacks <folder of <stack>.tf.json>] [-doc <file>]"

var command = cli.Command{Name: "outputs-doc", About: about, Synopsis: synopsis}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	stacksDir := flags.String("stacks", filepath.Join("__tests__", "testdata"), "the `folder` of the synthesized stacks (<stack>.tf.json)")
	doc := flags.String("doc", filepath.Join("docs", "stack.md"), "the `file` to write the table into, between its markers")
	if code, done := command.Parse(flags, args, stdout, stderr, cli.NoArguments(flags)); done {
		return code
	}
	stacks, err := outputsdoc.Read(*stacksDir)
	if err == nil {
		err = outputsdoc.Write(*doc, stacks)
	}
	if err != nil {
		fmt.Fprintln(stderr, "outputs-doc:", err)
		return 1
	}
	return 0
}
