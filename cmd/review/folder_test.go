package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const backendBlock = `{"terraform": {"backend": {"s3": {"bucket": "state", "key": "movies/dev/terraform.tfstate"}}, "required_providers": {"aws": {"source": "aws", "version": ">= 5.88.0, < 6.0.0"}}}, "resource": {%s}}`

// stageFolder writes a stage folder as terraform init leaves it: its
// configuration, the lock file, the recorded backend and the AWS provider
// at version (a script that serves as a plugin in debug mode would,
// printing its own path as the reattach value).
func stageFolder(t *testing.T, dir, resources, version string) {
	t.Helper()
	provider := filepath.Join(dir, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws", version, "linux_amd64")
	if err := os.RemoveAll(filepath.Join(dir, ".terraform", "providers")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(provider, 0o755); err != nil {
		t.Fatal(err)
	}
	plugin := "#!/bin/sh\necho \"TF_REATTACH_PROVIDERS='$0'\"\nexec sleep 60\n"
	if err := os.WriteFile(filepath.Join(provider, "terraform-provider-aws_v"+version+"_x5"), []byte(plugin), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"cdk.tf.json":                  strings.Replace(backendBlock, "%s", resources, 1),
		".terraform.lock.hcl":          `provider "registry.terraform.io/hashicorp/aws" { version = "` + version + `" }`,
		".terraform/terraform.tfstate": `{"backend": {"type": "s3", "hash": 1}}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// init is skipped only when nothing it acts on changed since a review's
// init: not the backend, not the providers asked for, not the lock file,
// not what terraform recorded; and the provider is still installed.
func TestInitDone(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, dir string)
		want   bool
	}{
		{"nothing changed", func(*testing.T, string) {}, true},
		{"a resource changed", func(t *testing.T, dir string) {
			rewrite(t, dir, "cdk.tf.json", `"resource": {}`, `"resource": {"aws_s3_bucket": {}}`)
		}, true},
		{"another backend key", func(t *testing.T, dir string) { rewrite(t, dir, "cdk.tf.json", "movies/dev/", "movies/qa/") }, false},
		{"another provider constraint", func(t *testing.T, dir string) { rewrite(t, dir, "cdk.tf.json", ">= 5.88.0", ">= 5.99.0") }, false},
		{"the lock file changed", func(t *testing.T, dir string) { rewrite(t, dir, ".terraform.lock.hcl", "5.100.0", "5.101.0") }, false},
		{"another init recorded another backend", func(t *testing.T, dir string) {
			rewrite(t, dir, ".terraform/terraform.tfstate", `"hash": 1`, `"hash": 2`)
		}, false},
		{"the provider removed", func(t *testing.T, dir string) {
			if err := os.RemoveAll(filepath.Join(dir, ".terraform", "providers")); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"never recorded", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, ".terraform", initRecordName)); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			stageFolder(t, dir, "", "5.100.0")
			if initDone(dir) {
				t.Fatal("initDone before any init was recorded; want false")
			}
			if err := recordInit(dir); err != nil {
				t.Fatal(err)
			}
			c.change(t, dir)
			if got := initDone(dir); got != c.want {
				t.Errorf("initDone = %v, want %v", got, c.want)
			}
		})
	}
}

// A folder that terraform init left without a data folder (the fake
// terraform of the output tests) has nothing to record.
func TestRecordInitWithoutDataFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cdk.tf.json"), []byte(strings.Replace(backendBlock, "%s", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := recordInit(dir); err != nil {
		t.Errorf("recordInit without .terraform: %v, want nothing done", err)
	}
	if initDone(dir) {
		t.Error("initDone without .terraform; want false")
	}
}

func rewrite(t *testing.T, dir, name, old, new string) {
	t.Helper()
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s holds no %q", name, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The plugin started before synthesis serves the plan only if init left
// the same provider installed; another version replaces it, and a folder
// without a provider gets none (terraform starts its own).
func TestSharedPluginFollowsTheInstalledProvider(t *testing.T) {
	dir := t.TempDir()
	var plugin sharedPlugin
	defer plugin.stop()
	if env := plugin.reattach(dir, io.Discard); env != "" {
		t.Errorf("reattach without a provider installed = %q, want none", env)
	}
	stageFolder(t, dir, "", "5.100.0")
	plugin.startFor(dir)
	first := plugin.running
	if env := plugin.reattach(dir, io.Discard); !strings.Contains(env, "5.100.0") || plugin.running != first {
		t.Errorf("reattach = %q, want the plugin started before, of 5.100.0", env)
	}
	stageFolder(t, dir, "", "5.101.0")
	if env := plugin.reattach(dir, io.Discard); !strings.Contains(env, "5.101.0") {
		t.Errorf("reattach after an init that installed 5.101.0 = %q, want a plugin of 5.101.0", env)
	}
	if plugin.running == first || first.plugin.Stop().String() != "signal: interrupt" {
		t.Error("the plugin of 5.100.0 was not stopped when 5.101.0 replaced it")
	}
}

// A caller that runs its own plugin (the tests) keeps it: the review
// starts none.
func TestSharedPluginLeavesTheCallersPlugin(t *testing.T) {
	t.Setenv("TF_REATTACH_PROVIDERS", `{"registry.terraform.io/hashicorp/aws": {}}`)
	dir := t.TempDir()
	stageFolder(t, dir, "", "5.100.0")
	var plugin sharedPlugin
	defer plugin.stop()
	plugin.startFor(dir)
	if env := plugin.reattach(dir, io.Discard); env != "" || plugin.running != nil {
		t.Errorf("reattach with the caller's plugin = %q, want none started", env)
	}
}
