// Package tests checks the synthesized Terraform of every stage, the
// validation of the settings, and the output against terraform itself.
// Run it with `make test` (or `go test ./... ./__tests__/`): `go test ./...`
// alone skips this folder, as Go ignores folders that start with "_".
package tests

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/internal/testcpu"
	"aurora-stages/settings"
	"aurora-stages/stacks"

	"github.com/aws/jsii-runtime-go"
)

// testContext is the configuration the synthesis tests use. It is kept apart
// from the repository's cdktf.json, so setting a real state bucket there
// does not break the golden files. Beside the two default stages it adds a
// stage that overrides a few settings (staging: an existing KMS key,
// Enhanced Monitoring, no Performance Insights, major upgrades allowed, its
// own VPC, subnets and allowed sources, two consumer roles, two readers,
// I/O-Optimized storage, windows across midnight, tags of its own over the
// account's, alarms) and one that
// never pauses (load: no
// IAM authentication, no minor upgrades, no statement logging, changes left
// to the maintenance window, an existing subnet group, another region and
// an account of its own, reached through a role),
// so both profile inheritance and the other shapes are pinned.
const testContext = `{
  "service": "movies",
  "region": "eu-west-1",
  "stateBucket": "movies-terraform-state-test",
  "stateKeyPrefix": "platform",
  "stateRoleArn": "arn:aws:iam::999988887777:role/terraform-state",
  "tags": {"owner": "platform", "cost-centre": "cc-42"},
  "stages": {
    "dev": {},
    "production": {},
    "staging": {"maxCapacity": 16, "backupRetentionDays": 7, "credentialsVersion": 2,
      "kmsKey": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      "monitoringIntervalSeconds": 30, "performanceInsights": false, "allowMajorVersionUpgrade": true,
      "vpcId": "vpc-0a1b2c3d4e5f60718", "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-1a2b3c4d"],
      "allowedSecurityGroupIds": ["sg-0a1b2c3d4e5f60718"], "allowedCidrs": ["10.20.0.0/16", "2001:db8::/32"],
      "consumerRoleNames": ["movies-api", "movies.worker@batch"],
      "readers": 2, "storageType": "aurora-iopt1", "backupWindow": "23:30-00:15", "maintenanceWindow": "sat:22:00-sat:23:00",
      "tags": {"cost-centre": "cc-7", "data": "personal"}, "alarmTopicArn": "arn:aws:sns:eu-west-1:111122223333:movies-alarms"},
    "load": {"minCapacity": 0.5, "maxCapacity": 64, "autoPauseSeconds": 0,
      "iamDatabaseAuthentication": false, "autoMinorVersionUpgrade": false,
      "logStatement": "none", "logMinDurationMs": -1, "performanceInsightsRetentionDays": 93,
      "applyImmediately": false, "vpcId": "vpc-1a2b3c4d", "subnetGroupName": "team-databases",
      "region": "eu-central-1", "accountId": "444455556666", "assumeRoleArn": "arn:aws:iam::444455556666:role/deploy/aurora-stages"}
  }
}`

var testStages = []string{"dev", "load", "production", "staging"}

// testStacks are all the stacks the test configuration synthesizes.
var testStacks = append([]string{"bootstrap"}, testStages...)

// noEnv stands in for os.Getenv, so the developer's environment cannot
// change what the tests see.
func noEnv(string) string { return "" }

// envOf returns a getenv that knows only the given variables.
func envOf(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// once holds what a test binary computes a single time: a synthesis, a
// built command. Its folder is removed when the tests end (TestMain).
type once struct {
	sync.Once
	path string
	err  error
}

var (
	syntheses sync.Map // local endpoint ("" for a real account) -> *once
	binaries  sync.Map // package -> *once
	tempDirs  struct {
		sync.Mutex
		paths []string
	}
)

func TestMain(m *testing.M) {
	// The runtime setup the app uses, for the syntheses here and for every
	// app and cdktf command the tests start (they inherit the environment).
	jsiiruntime.Setup()
	code := m.Run()
	jsii.Close() // stops Node.js and removes its unpacked runtime folder
	if err := testcpu.Write(); err != nil {
		fmt.Fprintln(os.Stderr, "writing the tests' CPU ledger:", err)
	}
	for _, dir := range tempDirs.paths {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// newTempDir is a folder that outlives one test but not the test binary.
func newTempDir(pattern string) (string, error) {
	dir, err := os.MkdirTemp("", pattern)
	if err == nil {
		tempDirs.Lock()
		tempDirs.paths = append(tempDirs.paths, dir)
		tempDirs.Unlock()
	}
	return dir, err
}

// synthesized synthesizes every test stack once per test binary, through
// the same stacks.Synthesize the app calls, and returns the output folder.
func synthesized(t *testing.T) string {
	return synthesizedFor(t, "")
}

// synthesizedFor does the same with DB_LOCAL_ENDPOINT set to endpoint.
func synthesizedFor(t *testing.T, endpoint string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	value, _ := syntheses.LoadOrStore(endpoint, &once{})
	synth := value.(*once)
	synth.Do(func() {
		parsed, err := settings.ParseContext([]byte(testContext), envOf(map[string]string{"DB_LOCAL_ENDPOINT": endpoint, "DB_DEPLOYER": "ci-bot"}))
		if err != nil {
			synth.err = err
			return
		}
		resolved, err := parsed.Resolve(nil)
		if err != nil {
			synth.err = err
			return
		}
		if synth.path, synth.err = newTempDir("aurora-stages-synth-"); synth.err == nil {
			synth.err = stacks.Synthesize(synth.path, resolved, nil)
		}
	})
	if synth.err != nil {
		t.Fatalf("synthesis (DB_LOCAL_ENDPOINT=%q) failed: %v", endpoint, synth.err)
	}
	return synth.path
}

// goBinary builds a command of this module once per test binary.
func goBinary(t *testing.T, pkg string) string {
	t.Helper()
	value, _ := binaries.LoadOrStore(pkg, &once{})
	binary := value.(*once)
	binary.Do(func() {
		dir, err := newTempDir("aurora-stages-bin-")
		if err != nil {
			binary.err = err
			return
		}
		// Named as go build names it (the module for ".", else the
		// package's folder): the CPU report tells the project's commands
		// by that name.
		name := filepath.Base(pkg)
		if pkg == "." {
			name = "aurora-stages"
		}
		binary.path = filepath.Join(dir, name)
		build := exec.Command("go", "build", "-o", binary.path, pkg)
		build.Dir = repoRootPath
		if out, err := build.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("%v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatalf("go build %s: %v", pkg, binary.err)
	}
	return binary.path
}

// stackFile is the path of a stage's synthesized Terraform JSON.
func stackFile(t *testing.T, stage string) string {
	return filepath.Join(synthesized(t), "stacks", stage, "cdk.tf.json")
}

// stackJSON parses a stage's synthesized Terraform JSON.
func stackJSON(t *testing.T, stage string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(stackFile(t, stage))
	if err != nil {
		t.Fatalf("stage %s: %v", stage, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("stage %s: synthesized JSON does not parse: %v", stage, err)
	}
	return doc
}

// lookup follows a dotted path ("resource.aws_rds_cluster.cluster.engine")
// through the parsed JSON. A list of one element (how CDKTF writes blocks)
// is stepped through. The bool is false when the path does not exist.
func lookup(doc any, path string) (any, bool) {
	current := doc
	for _, key := range strings.Split(path, ".") {
		if list, ok := current.([]any); ok && len(list) == 1 {
			current = list[0]
		}
		object, ok := current.(map[string]any)
		if !ok {
			return nil, false
		}
		if current, ok = object[key]; !ok {
			return nil, false
		}
	}
	return current, true
}

// expectValues reports every path whose value differs from the wanted one.
// A wanted value of absent means the path must not exist.
func expectValues(t *testing.T, stage string, doc map[string]any, want map[string]any) {
	t.Helper()
	for _, path := range slices.Sorted(maps.Keys(want)) {
		got, found := lookup(doc, path)
		if want[path] == absent {
			if found {
				t.Errorf("stage %s: %s = %#v, want it absent", stage, path, got)
			}
			continue
		}
		if !found {
			t.Errorf("stage %s: %s is missing, want %#v", stage, path, want[path])
			continue
		}
		if !reflect.DeepEqual(got, want[path]) {
			t.Errorf("stage %s: %s = %#v, want %#v", stage, path, got, want[path])
		}
	}
}

type absentMarker struct{}

var absent = absentMarker{}

// repoRootPath is the repository's top folder; tests run in __tests__.
var repoRootPath, _ = filepath.Abs("..")

func readJSON(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatalf("%s does not parse: %v", path, err)
	}
}

// runCommand runs a prepared command and returns its exit status, stdout
// and stderr; a command that could not run at all fails the test.
func runCommand(t *testing.T, cmd *exec.Cmd) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	var exitErr *exec.ExitError
	err := cmd.Run()
	testcpu.Charge(t, cmd.ProcessState)
	if errors.As(err, &exitErr) {
		code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", cmd.Path, err)
	}
	return code, out.String(), errOut.String()
}
