package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// appInTempDir starts the app binary in the repository with a temp
// directory of its own (TMPDIR), in a process group of its own like a
// command started from a shell, and returns it with that directory. env
// is added to the test's environment.
func appInTempDir(t *testing.T, env ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Node.js; skipped in -short mode (make test runs it)")
	}
	binary := goBinary(t, ".")
	tmp := t.TempDir()
	cmd := exec.Command(binary)
	cmd.Dir = repoRootPath
	cmd.Env = append(append(os.Environ(), "TMPDIR="+tmp, "CDKTF_OUTDIR="+t.TempDir(), "DB_LOCAL_ENDPOINT="), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, tmp, &stderr
}

func expectEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > 0 {
		t.Errorf("left in the temp directory: %s", strings.Join(names, ", "))
	}
}

func TestSynthLeavesNothingInTheTempDirectory(t *testing.T) {
	cmd, tmp, stderr := appInTempDir(t)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("app: %v\n%s", err, stderr)
	}
	expectEmpty(t, tmp)
}

// GIVEN a synthesis under way, WHEN the terminal sends Ctrl-C to the
// command's process group, THEN it stops with status 130 and one line, and
// leaves nothing behind: no runtime, no unpacked package, no Node.js.
// jsii starts its runtime through $SHELL (/bin/sh when unset, as in CI),
// and dash and bash differ in whether they stay as its parent: both.
func TestInterruptedSynthLeavesNothingBehind(t *testing.T) {
	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		t.Run(shell, func(t *testing.T) {
			if _, err := os.Stat(shell); err != nil {
				t.Skipf("no %s on this machine", shell)
			}
			interruptSynth(t, "SHELL="+shell)
		})
	}
}

func interruptSynth(t *testing.T, env ...string) {
	cmd, tmp, stderr := appInTempDir(t, env...)
	// The kernel's work folder appears when it loads the first package:
	// the synthesis is then under way.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if kernels, _ := filepath.Glob(filepath.Join(tmp, "jsii-kernel-*")); len(kernels) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no jsii-kernel-* folder appeared in %s within 20 s", tmp)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Errorf("app after Ctrl-C: %v, want exit status 130", err)
	}
	if got := strings.TrimSpace(stderr.String()); got != "aurora-stages: interrupted" {
		t.Errorf("stderr after Ctrl-C:\n%s\nwant only \"aurora-stages: interrupted\"", got)
	}
	expectEmpty(t, tmp)
	if pids := processesWithEnv("TMPDIR=" + tmp); len(pids) > 0 {
		t.Errorf("processes of the interrupted run still running: %v", pids)
	}
}

// processesWithEnv lists the processes whose environment holds entry.
func processesWithEnv(entry string) []string {
	environs, _ := filepath.Glob("/proc/[0-9]*/environ")
	var pids []string
	for _, path := range environs {
		data, err := os.ReadFile(path)
		if err == nil && bytes.Contains(append(append([]byte{0}, data...), 0), []byte("\x00"+entry+"\x00")) {
			pids = append(pids, filepath.Base(filepath.Dir(path)))
		}
	}
	return pids
}
