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
	"strings"
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

// Subcommand is one subcommand of a command that has several (previews
// list, previews show).
type Subcommand struct {
	Name string
	// Line is its command line after the command's name: "list
	// [--older-than <age>]".
	Line string
	// Flags makes its flag set, for the usage.
	Flags func() *flag.FlagSet
}

// Subcommands answers the command line of a command of subcommands as
// Command does a single one's: -h, --help or help (also after a
// subcommand) prints what the command does and every subcommand's usage
// on stdout, exit 0; none, an unknown one, a bad flag or argument prints
// the problem and the same usage on stderr, exit 2.
type Subcommands struct {
	Command
	List []Subcommand
}

// PrintUsage writes each subcommand's command line and flags.
func (s Subcommands) PrintUsage(w io.Writer) {
	for _, sub := range s.List {
		fmt.Fprintln(w, "usage: go run ./cmd/"+s.Name+" "+sub.Line)
		flags := sub.Flags()
		flags.SetOutput(w)
		flags.PrintDefaults()
	}
}

// Select reads which subcommand args names; when the command must stop
// there (a help asked for, a usage error) it has printed what to and
// returns the exit status and true.
func (s Subcommands) Select(args []string, stdout, stderr io.Writer) (string, int, bool) {
	switch {
	case len(args) == 0:
		names := make([]string, len(s.List))
		for i, sub := range s.List {
			names[i] = sub.Name
		}
		return "", s.usageError(stderr, s.Name, "name a subcommand: "+joinOr(names)), true
	case args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help":
		fmt.Fprintln(stdout, s.About)
		s.PrintUsage(stdout)
		return "", 0, true
	}
	for _, sub := range s.List {
		if sub.Name == args[0] {
			return sub.Name, 0, false
		}
	}
	return "", s.usageError(stderr, s.Name, fmt.Sprintf("unknown subcommand %q", args[0])), true
}

// Parse parses a subcommand's flags; check, if not nil, refuses what the
// flags take but the subcommand does not. Stray arguments are refused.
func (s Subcommands) Parse(sub string, flags *flag.FlagSet, args []string, stdout, stderr io.Writer, check func() error) (int, bool) {
	flags.SetOutput(io.Discard)
	flags.Usage = func() {}
	err := flags.Parse(args)
	if err == nil && flags.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", flags.Arg(0))
	}
	if err == nil && check != nil {
		err = check()
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stdout, s.About)
		s.PrintUsage(stdout)
		return 0, true
	case err != nil:
		return s.usageError(stderr, s.Name+" "+sub, err.Error()), true
	}
	return 0, false
}

func (s Subcommands) usageError(stderr io.Writer, who, problem string) int {
	fmt.Fprintln(stderr, who+":", problem)
	s.PrintUsage(stderr)
	return 2
}

// joinOr lists names as "a, b or c".
func joinOr(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
