package tfrun

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
)

// Call is one command a Fake was asked to run.
type Call struct {
	Dir  string
	Args []string
}

// String is the command as terraform's log shows it: "plan -input=false".
func (c Call) String() string { return strings.Join(c.Args, " ") }

// Has says whether the command has the argument arg (-lock=false).
func (c Call) Has(arg string) bool { return slices.Contains(c.Args, arg) }

// Answer is how a Fake answers a command: what it prints, the content of
// a file on stdout (the plan JSON of show -json), and how it ends.
type Answer struct {
	Stdout, Stderr string
	StdoutFile     string
	// Fails makes the command fail, as terraform exits 1.
	Fails bool
}

// ErrFailed is the error of a command the script makes fail.
var ErrFailed = errors.New("exit status 1")

// Fake is a Runner for tests: it records every command and answers it
// from Script, keyed by the command's first word (init, plan, show,
// state, apply, deploy): the first call of a word gets its first answer,
// the next the next, the last answer repeats. A word without answers
// prints nothing and succeeds. Do, if set, runs first for every call (a
// test's clock, a check) and its error, if any, is the command's.
type Fake struct {
	Script map[string][]Answer
	Do     func(call Call) error

	mu    sync.Mutex
	calls []Call
	asked map[string]int
}

func (f *Fake) Run(ctx context.Context, dir string, stdout, stderr io.Writer, args ...string) error {
	call := Call{Dir: dir, Args: slices.Clone(args)}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	var word string
	if len(args) > 0 {
		word = args[0]
	}
	if f.asked == nil {
		f.asked = map[string]int{}
	}
	n := f.asked[word]
	f.asked[word]++
	f.mu.Unlock()
	if f.Do != nil {
		if err := f.Do(call); err != nil {
			return err
		}
	}
	answers := f.Script[word]
	if len(answers) == 0 {
		return nil
	}
	answer := answers[min(n, len(answers)-1)]
	io.WriteString(stdout, answer.Stdout)
	if answer.StdoutFile != "" {
		data, err := os.ReadFile(answer.StdoutFile)
		if err != nil {
			return err
		}
		stdout.Write(data)
	}
	io.WriteString(stderr, answer.Stderr)
	if answer.Fails {
		return ErrFailed
	}
	return nil
}

// Calls is every command run so far, in order.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Commands is every command run so far as terraform's log shows it.
func (f *Fake) Commands() []string {
	var commands []string
	for _, call := range f.Calls() {
		commands = append(commands, call.String())
	}
	return commands
}
