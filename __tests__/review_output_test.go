package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeTerraform stands in for terraform on PATH: init and plan print many
// lines to stdout and one to stderr, and fail when FAKE_TERRAFORM_FAIL names
// them; "prevent_destroy" makes a locked plan refuse as Terraform does on
// lifecycle.prevent_destroy; show prints FAKE_TERRAFORM_PLAN. cdktf's
// synthesis asks for its version.
const fakeTerraform = `#!/bin/sh
case "$1" in
version) echo "Terraform v1.11.4" ;;
init|plan)
	i=1
	while [ "$i" -le 300 ]; do echo "$1 line $i"; i=$((i + 1)); done
	echo "$1 to stderr" >&2
	if [ "$FAKE_TERRAFORM_FAIL" = "$1" ]; then echo "Error: $1 failed as told" >&2; exit 1; fi
	if [ "$1" = plan ] && [ "$FAKE_TERRAFORM_FAIL" = prevent_destroy ]; then
		case " $* " in *" -lock=false "*) ;; *) echo "Error: Instance cannot be destroyed: Resource aws_rds_cluster.cluster has lifecycle.prevent_destroy set" >&2; exit 1 ;; esac
	fi
	;;
show) cat "$FAKE_TERRAFORM_PLAN" ;;
*) echo "fake terraform: unexpected $*" >&2; exit 3 ;;
esac
`

// runReviewWithFakeTerraform runs the review of stage dev against the fake
// terraform, synthesizing to a folder of its own, and returns its stdout,
// its stderr, its exit status and its output folder.
func runReviewWithFakeTerraform(t *testing.T, fail string, args ...string) (string, string, int, string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "terraform"), []byte(fakeTerraform), 0o755); err != nil {
		t.Fatal(err)
	}
	outdir := filepath.Join(t.TempDir(), "cdktf.out")
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"FAKE_TERRAFORM_FAIL="+fail,
		// No AWS here: the review's read of the stage's migration history
		// fails at once, and says so in its report, not through the SDK's
		// warnings about the instance metadata service.
		"AWS_EC2_METADATA_DISABLED=true",
		"FAKE_TERRAFORM_PLAN="+filepath.Join(repoRootPath, "__tests__", "testdata", "plans", "master-username.json"))
	cmd := exec.Command(goBinary(t, "./cmd/review"), append([]string{"--stage", "dev", "--outdir", outdir}, args...)...)
	cmd.Dir, cmd.Env = repoRootPath, env
	code, stdout, stderr := runCommand(t, cmd)
	return stdout, stderr, code, outdir
}

// terraformLines is every line the fake terraform prints for a command.
func terraformLines(command string) []string {
	var lines []string
	for i := 1; i <= 300; i++ {
		lines = append(lines, fmt.Sprintf("%s line %d", command, i))
	}
	return append(lines, command+" to stderr")
}

// containsLines says whether text holds want as consecutive lines.
func containsLines(text string, want []string) bool {
	return strings.Contains("\n"+text, "\n"+strings.Join(want, "\n")+"\n")
}

// A review prints a line per step and the summary; terraform's output goes
// to review.log in the stage's folder, named in one line, and to stderr in
// full only when terraform fails or with --verbose. The summary on stdout,
// which the pull-request workflows post, holds none of it. The steps'
// logic is unit-tested in cmd/review against tfrun.Fake; this holds the
// whole command's lines, through the real tfrun.Exec.
func TestReviewOutputOfTerraform(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	t.Parallel()
	wantLog := func() []string {
		log := []string{"$ terraform init -input=false -no-color"}
		log = append(log, terraformLines("init")...)
		log = append(log, "$ terraform plan -input=false -no-color -out=review.tfplan")
		log = append(log, terraformLines("plan")...)
		return append(log, "$ terraform show -json review.tfplan")
	}
	steps := func(outdir string) []string {
		return []string{
			"review: synthesizing dev...",
			"review: terraform's output goes to " + filepath.Join(outdir, "stacks", "dev", "review.log"),
			"review: terraform init...",
			"review: planning...",
			"review: reading the plan...",
		}
	}
	checkLog := func(t *testing.T, outdir string, want []string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(outdir, "stacks", "dev", "review.log"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("review.log: %d lines, want %d:\n%s", len(got), len(want), tail(string(data), 20))
		}
	}
	checkSummary := func(t *testing.T, stdout string, exit int) {
		t.Helper()
		if exit != 2 || !strings.HasPrefix(stdout, "Plan for stage dev: 0 to create, 3 to update in place, 3 to replace, 0 to delete") || strings.Contains(stdout, "line 1") {
			t.Errorf("exit %d, want 2 and the summary alone on stdout:\n%s", exit, tail(stdout, 20))
		}
	}

	t.Run("quiet", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, exit, outdir := runReviewWithFakeTerraform(t, "")
		checkSummary(t, stdout, exit)
		if got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); !slices.Equal(got, steps(outdir)) {
			t.Errorf("stderr\n got %q\nwant %q", got, steps(outdir))
		}
		checkLog(t, outdir, wantLog())
	})

	t.Run("verbose", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, exit, outdir := runReviewWithFakeTerraform(t, "", "--verbose")
		checkSummary(t, stdout, exit)
		for _, want := range [][]string{steps(outdir)[:3], terraformLines("init"), {"review: planning..."}, terraformLines("plan"), {"review: reading the plan..."}} {
			if !containsLines(stderr, want) {
				t.Errorf("stderr with --verbose lacks %q...:\n%s", want[0], tail(stderr, 20))
			}
		}
		checkLog(t, outdir, wantLog())
	})

	t.Run("plan fails", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, exit, outdir := runReviewWithFakeTerraform(t, "plan")
		logPath := filepath.Join(outdir, "stacks", "dev", "review.log")
		log := wantLog()
		log = append(log[:len(log)-1], "Error: plan failed as told")
		want := append(steps(outdir)[:4], "review: terraform's output ("+logPath+"):")
		want = append(want, log...)
		want = append(want, "review: terraform plan in "+filepath.Join(outdir, "stacks", "dev")+": exit status 1")
		if got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); exit != 1 || stdout != "" || !slices.Equal(got, want) {
			t.Errorf("exit %d, want 1; stdout %q, want nothing; stderr (%d lines, want %d):\n%s", exit, stdout, len(got), len(want), tail(stderr, 20))
		}
		checkLog(t, outdir, log)
	})

	// Terraform's refusal is not an error of the review: the stage is planned
	// again without the guard, each plan with its own log, and nothing is
	// printed in full.
	t.Run("prevent_destroy", func(t *testing.T) {
		t.Parallel()
		stdout, stderr, exit, outdir := runReviewWithFakeTerraform(t, "prevent_destroy")
		checkSummary(t, stdout, exit)
		unguarded := filepath.Join(outdir, "review-without-prevent-destroy")
		want := append(steps(outdir)[:4], "review: Terraform refused the plan (prevent_destroy); planning it again without the guard to show what it would destroy",
			"review: synthesizing dev without prevent_destroy...")
		want = append(want, steps(unguarded)[1:]...)
		if got := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n"); !slices.Equal(got, want) {
			t.Errorf("stderr\n got %q\nwant %q", got, want)
		}
		log := wantLog()
		checkLog(t, outdir, append(log[:len(log)-1], "Error: Instance cannot be destroyed: Resource aws_rds_cluster.cluster has lifecycle.prevent_destroy set"))
		log = wantLog()
		log[len(terraformLines("init"))+1] = "$ terraform plan -input=false -no-color -out=review.tfplan -lock=false"
		checkLog(t, unguarded, log)
	})
}
