// Package tfrun runs terraform's steps for the commands that plan, apply
// and drill a stage: the review (init, plan, show -json, a refresh-only plan
// for drift), the apply of a saved plan (init, state pull, apply) and the
// restore drill (the cdktf CLI's deploy and destroy, which run terraform).
// They take a Runner, as plan-and-apply tools such as Atlantis do, so their
// step logic is tested with Fake and proven end to end on the emulator with
// Exec.
package tfrun

import (
	"context"
	"io"
	"os"
	"os/exec"
	"slices"
)

// Runner runs one command, terraform with args, in the folder dir, its
// output to stdout and stderr (one writer for both keeps terraform's order).
// Its error is the command's own (exit status 1): callers say which step
// failed, in their words.
type Runner interface {
	Run(ctx context.Context, dir string, stdout, stderr io.Writer, args ...string) error
}

// Exec is the real Runner: Program found on PATH, with the process's
// environment plus Env.
type Exec struct {
	// Program is what runs: terraform when empty; the restore drill runs
	// the cdktf CLI, which runs terraform.
	Program string
	// Args come before each command's own: npx's "cdktf".
	Args []string
	// Env is added to the process's environment: the review's
	// TF_REATTACH_PROVIDERS (its shared provider plugin), the drill's
	// DB_STAGES.
	Env []string
}

func (e Exec) Run(ctx context.Context, dir string, stdout, stderr io.Writer, args ...string) error {
	program := e.Program
	if program == "" {
		program = "terraform"
	}
	cmd := exec.CommandContext(ctx, program, append(slices.Clone(e.Args), args...)...)
	cmd.Dir = dir
	if len(e.Env) > 0 {
		cmd.Env = append(os.Environ(), e.Env...)
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}
