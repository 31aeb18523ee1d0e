package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"aurora-stages/internal/testcpu"
)

// providerMirror is where this project's machines keep the AWS provider,
// since the public Terraform registry is out of their reach.
const providerMirror = "/opt/tf-plugins"

// terraformEnv returns the environment for terraform and cdktf. Where the
// provider mirror exists it points terraform at the repository's CLI
// configuration for it (the user's own configuration file is neither read nor written);
// elsewhere terraform uses whatever the user configured.
func terraformEnv() []string {
	env := append(os.Environ(), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1",
		// terraform and the project's commands are Go programs that live
		// seconds and spend a third of their CPU collecting garbage: with
		// the collector run at a heap four times the live one instead of
		// twice, a plan costs terraform 1.06 CPU-seconds instead of 1.44,
		// and 400 MB at its peak instead of 220 (measured on a plan of dev).
		// The provider plugins that live for a whole test keep the default
		// (startPlugin).
		"GOGC=400")
	if _, err := os.Stat(providerMirror); err == nil {
		env = append(env,
			"TF_CLI_CONFIG_FILE="+filepath.Join(repoRootPath, "terraform", "mirror.tfrc"),
			// cdktf runs `terraform providers lock`, which asks the registry
			// unless told of the mirror.
			"TF_CLI_ARGS_providers_lock=-fs-mirror="+providerMirror)
	}
	return env
}

// lockedAWSVersion finds the AWS provider's minor version in .terraform.lock.hcl.
var lockedAWSVersion = regexp.MustCompile(`provider "registry.terraform.io/hashicorp/aws" \{\s*version\s*=\s*"5\.(\d+)\.`)

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func runTerraform(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("terraform", args...)
	cmd.Dir = dir
	cmd.Env = terraformEnv()
	out, err := cmd.CombinedOutput()
	testcpu.Charge(t, cmd.ProcessState)
	if err != nil {
		t.Fatalf("terraform %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return out
}

// Slow: terraform loads the AWS provider for every stage. It proves the
// synthesized JSON is valid Terraform for the provider the mirror holds,
// write-only arguments and the ephemeral block included, offline.
func TestTerraformValidatesEveryStage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform; skipped in -short mode (make test runs it)")
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatalf("terraform is not on PATH: %v", err)
	}
	t.Parallel()
	for _, stage := range testStacks {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			data, err := os.ReadFile(stackFile(t, stage))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), data, 0o644); err != nil {
				t.Fatal(err)
			}

			runTerraform(t, dir, "init", "-backend=false", "-input=false", "-no-color")
			lock, err := os.ReadFile(filepath.Join(dir, ".terraform.lock.hcl"))
			if err != nil {
				t.Fatal(err)
			}
			if m := lockedAWSVersion.FindSubmatch(lock); m == nil || atoi(t, string(m[1])) < 88 {
				t.Errorf("stage %s: terraform did not select an AWS provider 5.88 or later:\n%s", stage, lock)
			}

			var result struct {
				Valid        bool `json:"valid"`
				ErrorCount   int  `json:"error_count"`
				WarningCount int  `json:"warning_count"`
				Diagnostics  []struct {
					Severity string `json:"severity"`
					Summary  string `json:"summary"`
					Detail   string `json:"detail"`
				} `json:"diagnostics"`
			}
			out := runTerraform(t, dir, "validate", "-json", "-no-color")
			if err := json.Unmarshal(out, &result); err != nil {
				t.Fatalf("terraform validate -json: %v\n%s", err, out)
			}
			if !result.Valid || result.ErrorCount != 0 || result.WarningCount != 0 {
				t.Errorf("stage %s: valid=%v, %d errors, %d warnings: %+v", stage, result.Valid, result.ErrorCount, result.WarningCount, result.Diagnostics)
			}
		})
	}
}
