// Package tests checks the synthesized Terraform of every stage, the
// validation of the settings, and the output against terraform itself.
// Run it with `make test` (or `go test ./... ./__tests__/`): `go test ./...`
// alone skips this folder, as Go ignores folders that start with "_".
package tests

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"aurora-stages/stacks"
)

// testContext is the configuration the synthesis tests use. It is kept apart
// from the repository's cdktf.json, so setting a real state bucket there
// does not break the golden files. Beside the two default stages it adds a
// stage that only overrides a few settings (staging) and one that never
// pauses (load), so both profile inheritance and the minCapacity > 0 shape
// are pinned.
const testContext = `{
  "service": "movies",
  "region": "eu-west-1",
  "stateBucket": "movies-terraform-state-test",
  "stateKeyPrefix": "platform",
  "stages": {
    "dev": {},
    "production": {},
    "staging": {"maxCapacity": 16, "backupRetentionDays": 7, "credentialsVersion": 2},
    "load": {"minCapacity": 0.5, "maxCapacity": 64, "autoPauseSeconds": 0}
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

var synthOnce struct {
	sync.Once
	outdir string
	err    error
}

// synthesized synthesizes every test stack once per test binary, through
// the same stacks.Synthesize the app calls, and returns the output folder.
func synthesized(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	synthOnce.Do(func() {
		settings, err := stacks.ParseContext([]byte(testContext), noEnv)
		if err != nil {
			synthOnce.err = err
			return
		}
		resolved, err := settings.Resolve(nil)
		if err != nil {
			synthOnce.err = err
			return
		}
		synthOnce.outdir, synthOnce.err = os.MkdirTemp("", "aurora-stages-synth-")
		if synthOnce.err == nil {
			synthOnce.err = stacks.Synthesize(synthOnce.outdir, resolved)
		}
	})
	if synthOnce.err != nil {
		t.Fatalf("synthesis failed: %v", synthOnce.err)
	}
	return synthOnce.outdir
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
