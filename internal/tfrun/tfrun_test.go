package tfrun

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"slices"
	"testing"
)

// Exec runs the program in the folder, its Args before the command's,
// with the process's environment plus Env, and returns the command's own
// error.
func TestExec(t *testing.T) {
	t.Setenv("FROM_THE_PROCESS", "kept")
	dir := t.TempDir()
	sh := Exec{Program: "sh", Args: []string{"-c"}, Env: []string{"ADDED=yes"}}
	var stdout, stderr bytes.Buffer
	err := sh.Run(context.Background(), dir, &stdout, &stderr, `pwd; echo "$FROM_THE_PROCESS $ADDED $0"; echo warned >&2`, "zero")
	if err != nil || stdout.String() != dir+"\nkept yes zero\n" || stderr.String() != "warned\n" {
		t.Errorf("Run = %v, stdout %q, stderr %q; want the folder, both variables and the argument, the warning apart", err, stdout.String(), stderr.String())
	}
	var exit *exec.ExitError
	if err := sh.Run(context.Background(), dir, &stdout, &stderr, "exit 3"); !errors.As(err, &exit) || exit.ExitCode() != 3 || err.Error() != "exit status 3" {
		t.Errorf("a failing command: %v, want its exit status, as it is", err)
	}
}

// The fake answers each command's word in turn, the last answer repeating,
// and records every call.
func TestFakeAnswersFromItsScript(t *testing.T) {
	f := &Fake{Script: map[string][]Answer{
		"plan": {{Stderr: "refused\n", Fails: true}, {Stdout: "planned\n"}},
	}}
	var out bytes.Buffer
	errs := []error{
		f.Run(context.Background(), "a", &out, &out, "plan", "-out=p"),
		f.Run(context.Background(), "b", &out, &out, "plan", "-lock=false"),
		f.Run(context.Background(), "b", &out, &out, "plan"),
		f.Run(context.Background(), "b", &out, &out, "init"),
	}
	if !slices.Equal(errs, []error{ErrFailed, nil, nil, nil}) || out.String() != "refused\nplanned\nplanned\n" {
		t.Errorf("errors %v, output %q", errs, out.String())
	}
	if want := []string{"plan -out=p", "plan -lock=false", "plan", "init"}; !slices.Equal(f.Commands(), want) || f.Calls()[0].Dir != "a" || !f.Calls()[1].Has("-lock=false") {
		t.Errorf("calls %+v, want %q", f.Calls(), want)
	}
}
