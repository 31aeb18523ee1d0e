package tests

// The daily preview cleanup's decisions, its script run by bash with fake
// go (the previews' list), gh (the pull requests' state) and npx (the
// destroy): a preview is destroyed when its pull request is closed or it is
// too old, and kept when its pull request is open, or when GitHub cannot
// say (a transient error must not destroy a database in use).

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

func TestPreviewCleanupDestroysOnlyWhatItMay(t *testing.T) {
	workflow, _ := readWorkflow(t, "preview.yml")
	step := namedStep(t, workflow.Jobs["cleanup"], "destroy the previews of closed pull requests, and old ones")
	script := step.Exec.(*actionlint.ExecRun).Run.Value

	cases := []struct {
		name      string
		gh        string // the fake gh's script body
		old       bool
		destroyed bool
		says      string
	}{
		{"pull request open", `echo OPEN`, false, false, "pr-7: pull request #7 is open and the preview 5h old (at most 7d): kept"},
		{"pull request closed", `echo CLOSED`, false, true, "pr-7: pull request #7 CLOSED, preview 5h old (at most 7d): destroying"},
		{"open but too old", `echo OPEN`, true, true, "pr-7: pull request #7 OPEN, preview 5h old (at most 7d): destroying"},
		{"GitHub fails", `echo "HTTP 502: Bad Gateway" >&2; exit 1`, false, false, "::warning::pr-7: the state of pull request #7 could not be read (HTTP 502: Bad Gateway ): kept for the next run"},
		{"GitHub fails, too old", `echo "HTTP 502: Bad Gateway" >&2; exit 1`, true, true, "pr-7: pull request #7 of unknown state (GitHub: HTTP 502: Bad Gateway ), preview 5h old (at most 7d): destroying"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tools, dir := t.TempDir(), t.TempDir()
			old := "[]"
			if c.old {
				old = `[{"stage": "pr-7", "pull_request": 7, "age_hours": 5}]`
			}
			fakes := map[string]string{
				// previews list --format json, and with --older-than.
				"go": `case "$*" in
*older-than*) echo '` + old + `' ;;
*"list --format json"*) echo '[{"stage": "pr-7", "pull_request": 7, "age_hours": 5}]' ;;
*delete-state*) echo "go $*" >> "$CALLS" ;;
esac`,
				"gh":  c.gh,
				"npx": `echo "npx $*" >> "$CALLS"`,
			}
			for name, body := range fakes {
				if err := os.WriteFile(filepath.Join(tools, name), []byte("#!/bin/bash\n"+body+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			calls := filepath.Join(tools, "calls")
			cmd := exec.Command("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+tools+string(os.PathListSeparator)+os.Getenv("PATH"), "CALLS="+calls,
				"MAX_AGE_DAYS=7", "GITHUB_REPOSITORY=acme/aurora-stages")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("the cleanup failed: %v\n%s", err, out)
			}
			recorded, _ := os.ReadFile(calls)
			destroyed := strings.Contains(string(recorded), "npx cdktf destroy pr-7 --auto-approve") && strings.Contains(string(recorded), "go run ./cmd/previews delete-state --stage pr-7")
			if destroyed != c.destroyed || !strings.Contains(string(out), c.says) {
				t.Errorf("destroyed %v, want %v; output:\n%s\nwant it to say %q", destroyed, c.destroyed, out, c.says)
			}
		})
	}
}
