// Command settings-doc writes docs/settings.md, the reference of every
// setting, from the doc comments of the settings package and its profiles:
//
//	go generate ./...    (runs: go run ../cmd/settings-doc -settings . -o ../docs/settings.md in settings/)
//
// A test fails when the checked-in file differs from what it would write.
//
// Exit status: 0 the file written (or the help, -h), 1 an error, 2 a
// command line it does not take, said with the usage.
package main

import (
	"fmt"
	"io"
	"os"

	"aurora-stages/internal/cli"
	"aurora-stages/settings"
)

// about is the first line of the help: what the command does.
const about = "settings-doc writes the reference of every setting (docs/settings.md) from the doc comments of the settings package and its profiles."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/settings-doc [-settings <dir>] [-o <file>]"

var command = cli.Command{Name: "settings-doc", About: about, Synopsis: synopsis}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	dir := flags.String("settings", "settings", "the folder of the settings package's Go sources")
	out := flags.String("o", "docs/settings.md", "the file to write")
	if code, done := command.Parse(flags, args, stdout, stderr, cli.NoArguments(flags)); done {
		return code
	}
	if err := write(*dir, *out); err != nil {
		fmt.Fprintln(stderr, "settings-doc:", err)
		return 1
	}
	return 0
}

func write(dir, out string) error {
	doc, err := settings.Reference(dir)
	if err != nil {
		return err
	}
	return os.WriteFile(out, doc, 0o644)
}
