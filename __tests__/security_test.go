package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"aurora-stages/internal/testcpu"
	"aurora-stages/security"
	"aurora-stages/settings"
)

// policyPath is the repository's checked-in list of skips and relaxations.
var policyPath = filepath.Join(repoRootPath, security.PolicyFile)

func TestPolicyFileGivesEveryEntryItsReason(t *testing.T) {
	policy, err := security.LoadPolicy(policyPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(policy.Skips) == 0 || len(policy.Relaxations) == 0 {
		t.Fatalf("policy has %d skips and %d relaxations; the baseline expects both", len(policy.Skips), len(policy.Relaxations))
	}
	for _, s := range policy.Skips {
		if len(strings.TrimSpace(s.Reason)) < security.MinReasonLength {
			t.Errorf("skip %s on %s: reason %q", s.Check, s.Resource, s.Reason)
		}
	}
	for _, r := range policy.Relaxations {
		if r.Profile != settings.DevProfile {
			t.Errorf("relaxation %s on %s is for profile %q: only dev may relax the baseline", r.Check, r.Resource, r.Profile)
		}
	}
}

// A skip without a reason (or with a placeholder for one) is refused, and
// so the scan cannot run with it.
func TestPolicyEntryWithoutAReasonIsRejected(t *testing.T) {
	cases := []struct{ name, policy, want string }{
		{"skip without reason", `{"skips": [{"check": "CKV_AWS_96", "resource": "aws_rds_cluster.cluster"}]}`,
			`skip 1 (CKV_AWS_96 on aws_rds_cluster.cluster): reason "": must say, in at least 40 characters, why the check does not fit this resource`},
		{"skip with a placeholder", `{"skips": [{"check": "CKV_AWS_96", "resource": "aws_rds_cluster.cluster", "reason": "false positive"}]}`,
			`skip 1 (CKV_AWS_96 on aws_rds_cluster.cluster): reason "false positive": must say, in at least 40 characters, why the check does not fit this resource`},
		{"skip of no resource", `{"skips": [{"check": "CKV_AWS_96", "reason": "a reason that is long enough to be one, in words"}]}`,
			`skip 1 (CKV_AWS_96 on ): resource is missing`},
		{"relaxation without its setting", `{"relaxations": [{"profile": "dev", "check": "CKV_AWS_139", "resource": "aws_rds_cluster.cluster", "reason": "a reason that is long enough to be one, in words"}]}`,
			`relaxation 1 (CKV_AWS_139 on aws_rds_cluster.cluster): setting is missing`},
		{"misspelt field", `{"skips": [{"check": "CKV_AWS_96", "resource": "aws_rds_cluster.cluster", "reasn": "a reason that is long enough to be one, in words"}]}`,
			`json: unknown field "reasn"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := security.ParsePolicy("test.json", []byte(c.policy))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// docs/security.md lists every skip and relaxation.
func TestSecurityDocListsEverySkipAndRelaxation(t *testing.T) {
	policy, err := security.LoadPolicy(policyPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(repoRootPath, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := string(doc)
	for _, s := range policy.Skips {
		if !strings.Contains(section, "| "+s.Check+" | `"+s.Resource+"` |") {
			t.Errorf("docs/security.md has no row for the skip of %s on %s", s.Check, s.Resource)
		}
	}
	for _, r := range policy.Relaxations {
		if !strings.Contains(section, "| "+r.Check+" | `"+r.Resource+"` | `"+r.Setting+"` |") {
			t.Errorf("docs/security.md has no row for the relaxation of %s on %s (%s)", r.Check, r.Resource, r.Setting)
		}
	}
}

// checkovCommand is the pinned Checkov that `make test` installs, run in a
// network namespace of its own when the machine allows one, which proves
// the scan needs no network.
func checkovCommand(t *testing.T) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("Checkov is slow to start; skipped in -short mode (make test runs it)")
	}
	checkov := filepath.Join(repoRootPath, security.CheckovExecutable)
	if _, err := os.Stat(checkov); err != nil {
		t.Fatalf("Checkov is not installed (%v): run `sh scripts/python-tool.sh install checkov`, which `make test` does", err)
	}
	if exec.Command("unshare", "--net", "true").Run() == nil {
		return []string{"unshare", "--net", checkov}
	}
	t.Log("unshare --net is not permitted here: Checkov runs with the network")
	return []string{checkov}
}

var baseline struct {
	sync.Once
	report *security.Report
	err    error
}

// baselineReport scans the test configuration's stacks once per test binary.
func baselineReport(t *testing.T) *security.Report {
	t.Helper()
	command := checkovCommand(t)
	dir := synthesized(t)
	baseline.Do(func() {
		baseline.report, baseline.err = scanStacks(command, filepath.Join(dir, "stacks"))
	})
	if baseline.err != nil {
		t.Fatal(baseline.err)
	}
	return baseline.report
}

func scanStacks(command []string, stacksDir string) (*security.Report, error) {
	policy, err := security.LoadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	parsed, err := settings.ParseContext([]byte(testContext), noEnv)
	if err != nil {
		return nil, err
	}
	resolved, err := parsed.Resolve(nil)
	if err != nil {
		return nil, err
	}
	scan, err := security.RunCheckov(command, stacksDir)
	if err != nil {
		return nil, err
	}
	return security.Evaluate(scan, security.Profiles(resolved), policy), nil
}

// resultKeys and findingKeys list "CHECK resource" per result, sorted.
func resultKeys(results []security.Result) []string {
	var keys []string
	for _, r := range results {
		keys = append(keys, r.Check+" "+r.Resource)
	}
	slices.Sort(keys)
	return keys
}

func findingKeys(list []security.Finding) []string {
	results := make([]security.Result, len(list))
	for i, f := range list {
		results[i] = f.Result
	}
	return resultKeys(results)
}

var stageSkips = []string{
	"CKV2_AWS_34 aws_ssm_parameter.credentials_arn",
	"CKV2_AWS_34 aws_ssm_parameter.resource_arn",
	"CKV2_AWS_34 aws_ssm_parameter.reader_endpoint",
	"CKV2_AWS_34 aws_ssm_parameter.security_group",
	"CKV2_AWS_57 aws_secretsmanager_secret.credentials",
	"CKV2_AWS_8 aws_rds_cluster.cluster",
}

var keyPolicySkips = []string{
	"CKV_AWS_109 data.aws_iam_policy_document.key_policy",
	"CKV_AWS_111 data.aws_iam_policy_document.key_policy",
	"CKV_AWS_356 data.aws_iam_policy_document.key_policy",
}

var devRelaxations = []string{
	"CKV_AWS_118 aws_rds_cluster_instance.writer",
	"CKV_AWS_139 aws_rds_cluster.cluster",
	"CKV_AWS_149 aws_secretsmanager_secret.credentials",
	"CKV_AWS_324 aws_rds_cluster.cluster",
	"CKV_AWS_327 aws_rds_cluster.cluster",
	"CKV_AWS_354 aws_rds_cluster_instance.writer",
}

// GIVEN the test stages, WHEN Checkov scans them, THEN production and
// bootstrap fail nothing, dev fails only its listed relaxations, and a
// dev-profile stage that turns off more than dev does is caught.
func TestCheckovBaselinePerStack(t *testing.T) {
	t.Parallel()
	report := baselineReport(t)
	if report.Version != "3.3.30" {
		t.Errorf("Checkov %s ran; security/checkov-requirements.txt pins 3.3.30", report.Version)
	}
	sorted := func(lists ...[]string) []string { return slices.Sorted(slices.Values(slices.Concat(lists...))) }
	cases := []struct {
		stack            string
		skipped, relaxed []string
		failed           []string
	}{
		{"bootstrap", sorted([]string{"CKV2_AWS_62 aws_s3_bucket.state", "CKV_AWS_144 aws_s3_bucket.state", "CKV_AWS_145 aws_s3_bucket.state", "CKV_AWS_18 aws_s3_bucket.state"}), nil, nil},
		{"production", sorted(stageSkips, keyPolicySkips), nil, nil},
		{"dev", sorted(stageSkips), sorted(devRelaxations), nil},
		// An existing key: no key policy here, and the key checks pass.
		// Performance Insights off is no relaxation of the dev profile.
		{"staging", sorted(stageSkips), sorted([]string{"CKV_AWS_139 aws_rds_cluster.cluster", "CKV_AWS_324 aws_rds_cluster.cluster"}),
			[]string{"CKV_AWS_353 aws_rds_cluster_instance.reader_1", "CKV_AWS_353 aws_rds_cluster_instance.reader_2", "CKV_AWS_353 aws_rds_cluster_instance.writer"}},
		// Nor are IAM authentication or minor version upgrades turned off.
		{"load", sorted(stageSkips), sorted(devRelaxations), []string{"CKV_AWS_162 aws_rds_cluster.cluster", "CKV_AWS_226 aws_rds_cluster_instance.writer"}},
	}
	for _, c := range cases {
		t.Run(c.stack, func(t *testing.T) {
			stack := report.Stack(c.stack)
			if stack == nil {
				t.Fatalf("no report for stack %s (missing: %v)", c.stack, report.Missing)
			}
			if got := findingKeys(stack.Skipped); !slices.Equal(got, c.skipped) {
				t.Errorf("skipped\n got %q\nwant %q", got, c.skipped)
			}
			if got := findingKeys(stack.Relaxed); !slices.Equal(got, c.relaxed) {
				t.Errorf("relaxed\n got %q\nwant %q", got, c.relaxed)
			}
			if got := resultKeys(stack.Failed); !slices.Equal(got, c.failed) {
				t.Errorf("failed\n got %q\nwant %q", got, c.failed)
			}
			for _, f := range stack.Skipped {
				if len(f.Skip.Reason) < security.MinReasonLength {
					t.Errorf("skipped %s on %s without a reason", f.Check, f.Resource)
				}
			}
			if len(stack.Passed) == 0 {
				t.Error("no check passed: Checkov looked at nothing")
			}
		})
	}
	if len(report.UnusedSkips) > 0 {
		t.Errorf("skips that matched nothing: %+v", report.UnusedSkips)
	}
	if report.OK() {
		t.Error("report is OK although staging and load fail checks")
	}
}

// What production's settings bring shows up as passed checks, not only as
// the absence of failures.
func TestProductionPassesTheChecksItsSettingsAnswer(t *testing.T) {
	production := report(t, "production")
	passed := resultKeys(production.Passed)
	for _, want := range []string{
		"CKV_AWS_96 aws_rds_cluster.cluster",                // storage encrypted
		"CKV_AWS_327 aws_rds_cluster.cluster",               // with the stack's own key
		"CKV_AWS_139 aws_rds_cluster.cluster",               // deletion protection
		"CKV_AWS_162 aws_rds_cluster.cluster",               // IAM database authentication
		"CKV_AWS_324 aws_rds_cluster.cluster",               // log exports
		"CKV2_AWS_27 aws_rds_cluster.cluster",               // query logging parameters
		"CKV_AWS_353 aws_rds_cluster_instance.writer",       // Performance Insights
		"CKV_AWS_354 aws_rds_cluster_instance.writer",       // encrypted with the key
		"CKV_AWS_118 aws_rds_cluster_instance.writer",       // Enhanced Monitoring
		"CKV_AWS_226 aws_rds_cluster_instance.writer",       // minor version upgrades
		"CKV_AWS_149 aws_secretsmanager_secret.credentials", // secret under the key
		"CKV_AWS_7 aws_kms_key.key",                         // key rotation
	} {
		if !slices.Contains(passed, want) {
			t.Errorf("production: %s did not pass; passed: %q", want, passed)
		}
	}
}

func report(t *testing.T, stack string) *security.StackReport {
	t.Helper()
	r := baselineReport(t).Stack(stack)
	if r == nil {
		t.Fatalf("no report for stack %s", stack)
	}
	return r
}

// GIVEN production's synthesized stack with storage encryption turned off
// (in this test only), WHEN it is scanned, THEN the scan fails on it.
func TestWeakenedProductionFailsTheScan(t *testing.T) {
	t.Parallel()
	command := checkovCommand(t)
	var doc map[string]any
	readJSON(t, stackFile(t, "production"), &doc)
	cluster := doc["resource"].(map[string]any)["aws_rds_cluster"].(map[string]any)["cluster"].(map[string]any)
	cluster["storage_encrypted"] = false
	delete(cluster, "kms_key_id")

	stacksDir := filepath.Join(t.TempDir(), "stacks")
	if err := os.MkdirAll(filepath.Join(stacksDir, "production"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.MarshalIndent(doc, "", "  ")
	if err := os.WriteFile(filepath.Join(stacksDir, "production", "cdk.tf.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	result, err := security.RunCheckov(command, stacksDir)
	if err != nil {
		t.Fatal(err)
	}
	policy, err := security.LoadPolicy(policyPath)
	if err != nil {
		t.Fatal(err)
	}
	weakened := security.Evaluate(result, map[string]string{"production": settings.ProductionProfile}, policy)
	failed := resultKeys(weakened.Stack("production").Failed)
	want := []string{"CKV_AWS_327 aws_rds_cluster.cluster", "CKV_AWS_96 aws_rds_cluster.cluster"}
	if !slices.Equal(failed, want) {
		t.Errorf("failed\n got %q\nwant %q", failed, want)
	}
	if weakened.OK() {
		t.Error("the weakened production passed the scan")
	}
	var text strings.Builder
	weakened.WriteText(&text)
	if !strings.Contains(text.String(), "  FAILED   CKV_AWS_96   aws_rds_cluster.cluster: Ensure all data stored in Aurora is securely encrypted at rest\n") ||
		!strings.Contains(text.String(), "Result: FAIL: production (2)") {
		t.Errorf("report does not show the failure:\n%s", text.String())
	}
}

// `make scan` runs this command over the repository's own cdktf.json: it
// passes, and says so per stack.
func TestScanCommandPassesOnTheRepositoryConfiguration(t *testing.T) {
	t.Parallel()
	command := checkovCommand(t)
	scan := goBinary(t, "./cmd/scan")
	args := []string{"--outdir", t.TempDir(), "--checkov", command[len(command)-1]}
	cmd := exec.Command(scan, args...)
	cmd.Dir = repoRootPath
	cmd.Env = append(os.Environ(), "DB_LOCAL_ENDPOINT=", "DB_SERVICE=", "DB_REGION=", "DB_STATE_BUCKET=", "DB_STATE_KEY_PREFIX=")
	out, err := cmd.CombinedOutput()
	testcpu.Charge(t, cmd.ProcessState)
	if err != nil {
		t.Fatalf("scan: %v\n%s", err, out)
	}
	for _, line := range []string{
		"Checkov 3.3.30; skips and relaxations with their reasons: security/checkov-skips.json\n",
		"\nbootstrap: 15 passed, 0 failed, 4 skipped\n",
		"\ndev (profile dev): ",
		", 6 failed (6 relaxed in the dev profile), 6 skipped\n",
		"\nproduction (profile production): ",
		" passed, 0 failed, 9 skipped\n",
		"\nResult: pass\n",
	} {
		if !strings.Contains(string(out), line) {
			t.Errorf("scan output lacks %q:\n%s", line, out)
		}
	}
}
