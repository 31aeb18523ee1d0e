package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"aurora-stages/settings"
)

func resolve(t *testing.T, context string, env map[string]string, only ...string) []settings.StageConfig {
	t.Helper()
	parsed, err := settings.ParseContext([]byte(context), envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := parsed.Resolve(only)
	if err != nil {
		t.Fatal(err)
	}
	return resolved.Stages
}

func stageNames(configs []settings.StageConfig) []string {
	var names []string
	for _, c := range configs {
		names = append(names, c.Stage)
	}
	return names
}

// The repository's own cdktf.json is what `make synth` and `cdktf deploy`
// read: it must hold a valid configuration of dev and production.
func TestRepositoryConfigurationIsValid(t *testing.T) {
	parsed, err := settings.LoadCdktfJSON(filepath.Join(repoRootPath, "cdktf.json"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := parsed.Resolve(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := stageNames(resolved.Stages); !slices.Equal(got, []string{"dev", "production"}) || resolved.Bootstrap == nil {
		t.Errorf("stages = %q, bootstrap %v; want dev and production, and the bootstrap stack", got, resolved.Bootstrap)
	}
}

func TestDefaultsWhenTheContextIsSilent(t *testing.T) {
	configs := resolve(t, `{"stateBucket": "movies-state"}`, nil)
	if got := stageNames(configs); !slices.Equal(got, []string{"dev", "production"}) {
		t.Fatalf("stages = %q, want dev and production", got)
	}
	dev, production := configs[0], configs[1]
	if dev.Account.Service != "movies" || dev.Account.Region != "us-east-1" || dev.StateKey() != "movies/dev/terraform.tfstate" {
		t.Errorf("dev account = %+v, state key %q; want service movies, region us-east-1, key movies/dev/terraform.tfstate", dev.Account, dev.StateKey())
	}
	if dev.Profile != settings.DevProfile || production.Profile != settings.ProductionProfile {
		t.Errorf("profiles = %q, %q; want dev, production", dev.Profile, production.Profile)
	}
}

func TestEnvironmentOverridesTheContext(t *testing.T) {
	context := `{"service": "movies", "region": "us-east-1", "stateBucket": "movies-state", "stateKeyPrefix": "team", "stages": {"dev": {}}}`
	env := map[string]string{
		"DB_SERVICE":          "films",
		"DB_REGION":           "eu-central-1",
		"DB_STATE_BUCKET":     "films-state",
		"DB_STATE_KEY_PREFIX": "platform/db",
	}
	got := resolve(t, context, env)[0]
	want := settings.AccountSettings{Service: "films", Region: "eu-central-1", StateBucket: "films-state", StateKeyPrefix: "platform/db", Tags: map[string]string{}}
	if !reflect.DeepEqual(got.Account, want) {
		t.Errorf("account = %+v, want %+v", got.Account, want)
	}
	if key := got.StateKey(); key != "platform/db/films/dev/terraform.tfstate" {
		t.Errorf("state key = %q, want platform/db/films/dev/terraform.tfstate", key)
	}
	if name := got.ClusterIdentifier(); name != "main-films-dev-cluster" {
		t.Errorf("cluster identifier = %q, want main-films-dev-cluster", name)
	}
}

// A new stage is one entry; it starts from the dev profile unless it names
// the production one, and any setting can be overridden.
func TestNewStagesStartFromAProfile(t *testing.T) {
	configs := resolve(t, withStages(`{
	  "staging": {"maxCapacity": 16},
	  "prod-eu": {"profile": "production", "maxCapacity": 128, "logExports": []}
	}`), nil)
	prodEU, staging := configs[0], configs[1]

	if staging.Profile != "dev" || staging.MaxCapacity != 16 || staging.BackupRetentionDays != 1 || staging.DeletionProtection {
		t.Errorf("staging = %+v; want the dev profile with maxCapacity 16", staging)
	}
	if prodEU.Profile != "production" || prodEU.MaxCapacity != 128 || prodEU.BackupRetentionDays != 30 ||
		!prodEU.DeletionProtection || !prodEU.PreventDestroy || len(prodEU.LogExports) != 0 {
		t.Errorf("prod-eu = %+v; want the production profile with maxCapacity 128 and no log exports", prodEU)
	}
}

func TestCommandLineSelectsStacks(t *testing.T) {
	parsed, err := settings.ParseContext([]byte(withStages(`{"dev": {}, "production": {}, "staging": {}}`)), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args          []string
		wantStages    []string
		wantBootstrap bool
	}{
		{nil, []string{"dev", "production", "staging"}, true},
		{[]string{"staging", "dev", "staging"}, []string{"staging", "dev"}, false},
		{[]string{"bootstrap"}, nil, true},
		{[]string{"dev", "bootstrap"}, []string{"dev"}, true},
	}
	for _, c := range cases {
		resolved, err := parsed.Resolve(c.args)
		if err != nil {
			t.Fatalf("args %q: %v", c.args, err)
		}
		if got := stageNames(resolved.Stages); !slices.Equal(got, c.wantStages) || (resolved.Bootstrap != nil) != c.wantBootstrap {
			t.Errorf("args %q: stages %q, bootstrap %v; want stages %q, bootstrap %v", c.args, got, resolved.Bootstrap != nil, c.wantStages, c.wantBootstrap)
		}
	}
}

// Bad configuration stops the app itself, before anything is synthesized:
// exit status 1, one readable message, no Go or jsii stack trace.
func TestAppRejectsBadConfigurationWithoutAStackTrace(t *testing.T) {
	binary := goBinary(t, ".")

	cases := []struct {
		name    string
		context string
		args    []string
		want    string
	}{
		{"bad capacity", withStages(`{"dev": {"maxCapacity": 512}}`), nil,
			`stage "dev": maxCapacity = 512: must be 1 to 256 ACU in steps of 0.5`},
		{"unknown stage", withStages(`{"dev": {}}`), []string{"staging"},
			`stage "staging" named on the command line is not configured; configured stacks: bootstrap, dev`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			config := `{"language": "go", "app": "go run .", "context": ` + c.context + `}`
			if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(binary, c.args...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			exitErr, ok := err.(*exec.ExitError)
			if !ok || exitErr.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output:\n%s\nwant it to contain:\n%s", out, c.want)
			}
			for _, trace := range []string{"goroutine", "panic", "jsii", ".go:"} {
				if strings.Contains(string(out), trace) {
					t.Errorf("output holds %q, a stack trace:\n%s", trace, out)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "cdktf.out")); !os.IsNotExist(err) {
				t.Errorf("cdktf.out was written for a bad configuration (stat: %v)", err)
			}
		})
	}
}

// A dev-profile stage may open its port to the internet, but every synth
// says so on stderr, and the synthesis still succeeds.
func TestAppWarnsOfAStageOpenToTheInternet(t *testing.T) {
	binary := goBinary(t, ".")
	dir := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": ` + withStages(`{"dev": {"allowedCidrs": ["0.0.0.0/0", "10.0.0.0/16"]}}`) + `}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "dev")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "JSII_NODE="+filepath.Join(repoRootPath, "node_modules", ".bin", "node"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("synth of a dev stage open to the internet: %v\n%s", err, stderr.String())
	}
	want := `aurora-stages: warning: stage "dev": allowedCidrs = "0.0.0.0/0" opens the database's port to the whole internet; list the networks of its clients instead` + "\n"
	if stderr.String() != want {
		t.Errorf("stderr:\n%q\nwant:\n%q", stderr.String(), want)
	}
	if _, err := os.Stat(filepath.Join(dir, "cdktf.out", "stacks", "dev", "cdk.tf.json")); err != nil {
		t.Errorf("the stage was not synthesized: %v", err)
	}
}

// A synthesis says what it wrote, one line per stack, as cdktf synth does,
// and nothing else.
func TestAppPrintsEachStackWritten(t *testing.T) {
	stdout, stderr := synthIn(t, goBinary(t, "."), t.TempDir(), `{"dev": {}, "production": {}}`,
		append(os.Environ(), "JSII_NODE="+filepath.Join(repoRootPath, "node_modules", ".bin", "node")))
	want := "bootstrap: cdktf.out/stacks/bootstrap/cdk.tf.json\ndev: cdktf.out/stacks/dev/cdk.tf.json\nproduction: cdktf.out/stacks/production/cdk.tf.json\n"
	if stdout != want || stderr != "" {
		t.Errorf("stdout:\n%s\nwant:\n%s\nstderr: %q", stdout, want, stderr)
	}
}
