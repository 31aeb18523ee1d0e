// Package cli is how the commands under cmd/ answer their command line:
// -h or --help prints what the command does, its usage and its flags on
// stdout and exits 0; a command line the command does not take prints the
// problem and the usage on stderr and exits 2 (__tests__/cli_help_test.go).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Command names a command and says what it does.
type Command struct {
	// Name prefixes its error lines: "scan: ...".
	Name string
	// About is one sentence saying what the command does.
	About string
	// Synopsis is its command line: "usage: go run ./cmd/scan [...]".
	Synopsis string
}

// Flags is a flag set that prints nothing by itself: Parse does.
func (c Command) Flags() *flag.FlagSet {
	flags := flag.NewFlagSet(c.Name, flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	return flags
}

// Parse parses args; check, if not nil, refuses what the flags take but
// the command does not (a missing --stage, a stray argument). When the
// command must stop there, for a help asked for or a usage error, Parse
// has printed what to and returns the exit status and true.
func (c Command) Parse(flags *flag.FlagSet, args []string, stdout, stderr io.Writer, check func() error) (int, bool) {
	err := flags.Parse(args)
	if err == nil && check != nil {
		err = check()
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, c.About)
		c.PrintUsage(stdout, flags)
		return 0, true
	case err != nil:
		return c.UsageError(stderr, flags, err.Error()), true
	}
	return 0, false
}

// UsageError prints a problem with the command line and the usage on
// stderr, and returns 2.
func (c Command) UsageError(stderr io.Writer, flags *flag.FlagSet, problem string) int {
	fmt.Fprintln(stderr, c.Name+":", problem)
	c.PrintUsage(stderr, flags)
	return 2
}

// PrintUsage writes the command line the command takes and its flags.
func (c Command) PrintUsage(w io.Writer, flags *flag.FlagSet) {
	fmt.Fprintln(w, c.Synopsis)
	flags.SetOutput(w)
	flags.PrintDefaults()
}

// NoArguments refuses positional arguments, for Parse's check.
func NoArguments(flags *flag.FlagSet) func() error {
	return func() error {
		if flags.NArg() > 0 {
			return fmt.Errorf("unexpected argument %q", flags.Arg(0))
		}
		return nil
	}
}
