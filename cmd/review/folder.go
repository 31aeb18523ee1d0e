package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"aurora-stages/internal/providerdebug"
)

// initRecordName is the file, in terraform's data folder, where a review
// records for what the folder was initialized: terraform removes it with
// the folder, and nothing else writes it.
const initRecordName = "review-init.sha256"

// dataDir is terraform's data folder of the stage folder dir: TF_DATA_DIR
// (relative to the folder terraform runs in) or .terraform.
func dataDir(dir string) string {
	data := os.Getenv("TF_DATA_DIR")
	if data == "" {
		data = ".terraform"
	}
	if filepath.IsAbs(data) {
		return data
	}
	return filepath.Join(dir, data)
}

// initFingerprint sums what `terraform init` acts on and what it leaves
// behind: the configuration's terraform block (the backend and the
// required providers; the rest of the configuration is the plan's
// business, not init's), the dependency lock file, and the backend
// terraform recorded in its data folder. A file missing is summed as
// missing.
func initFingerprint(dir string) (string, error) {
	var config struct {
		Terraform json.RawMessage `json:"terraform"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "cdk.tf.json"))
	if err != nil {
		return "", err
	}
	if err := json.Unmarshal(data, &config); err != nil {
		return "", fmt.Errorf("reading %s: %w", filepath.Join(dir, "cdk.tf.json"), err)
	}
	sum := sha256.New()
	fmt.Fprintf(sum, "terraform block %d\n%s\n", len(config.Terraform), config.Terraform)
	for _, path := range []string{filepath.Join(dir, ".terraform.lock.hcl"), filepath.Join(dataDir(dir), "terraform.tfstate")} {
		content, err := os.ReadFile(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(sum, "%s missing\n", filepath.Base(path))
		case err != nil:
			return "", err
		default:
			fmt.Fprintf(sum, "%s %d\n%s\n", filepath.Base(path), len(content), content)
		}
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// initDone says whether `terraform init` has nothing to do in dir: a
// review's init recorded the same fingerprint as now, so neither the
// backend nor the providers asked for changed, nor did anyone's init
// since, and the AWS provider it installed is still there.
func initDone(dir string) bool {
	recorded, err := os.ReadFile(filepath.Join(dataDir(dir), initRecordName))
	if err != nil {
		return false
	}
	now, err := initFingerprint(dir)
	if err != nil || string(recorded) != now {
		return false
	}
	return installedProvider(dir) != ""
}

// recordInit records, after a successful `terraform init` in dir, for
// what the folder is initialized. An init that made no data folder (there
// is nothing to install) leaves nothing to record.
func recordInit(dir string) error {
	fingerprint, err := initFingerprint(dir)
	if err != nil {
		return err
	}
	err = os.WriteFile(filepath.Join(dataDir(dir), initRecordName), []byte(fingerprint), 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// sharedPlugin runs the AWS provider plugin once for a plan and its read
// (show -json), which otherwise start it three times and once (about 2.4
// CPU-seconds and a second before it answers, each time). terraform init runs
// without it: a plugin terraform reattaches to is neither installed nor
// written in the lock file. It serves one plan only: with AWS_CA_BUNDLE
// set, the provider fails a second configuration in one plugin.
type sharedPlugin struct {
	running *startingPlugin
}

// startingPlugin is a plugin started in the background.
type startingPlugin struct {
	binary  string
	started chan struct{}
	plugin  *providerdebug.Plugin
	err     error
}

// installedProvider is the AWS provider binary that stage folder dir has
// installed, or "" when it has none (a first review).
func installedProvider(dir string) string {
	binary, err := providerdebug.Binary(filepath.Join(dataDir(dir), "providers"))
	if err != nil {
		return ""
	}
	return binary
}

// startFor starts, in the background, the AWS provider stage folder dir
// has installed, if any: it loads while the stage is synthesized, which
// leaves the folder's providers alone. A caller that runs its own plugin
// (TF_REATTACH_PROVIDERS set) gets none.
func (s *sharedPlugin) startFor(dir string) {
	if binary := installedProvider(dir); binary != "" && os.Getenv("TF_REATTACH_PROVIDERS") == "" {
		s.start(binary)
	}
}

// start starts binary in the background, unless it runs already; a plugin
// of another binary is stopped.
func (s *sharedPlugin) start(binary string) {
	if s.running != nil && s.running.binary == binary {
		return
	}
	s.stop()
	p := &startingPlugin{binary: binary, started: make(chan struct{})}
	go func() {
		// The plugin reads the AWS settings of the environment, as the
		// one terraform would start.
		p.plugin, p.err = providerdebug.Start(binary, os.Environ())
		close(p.started)
	}()
	s.running = p
}

// reattach returns the variable that points terraform at a running plugin
// of the provider stage folder dir has installed (after its init: another
// version replaces the one started before), or "" when dir has none, the
// caller runs its own plugin, or the plugin does not start: then
// terraform starts its own, as it would without the review, and stderr
// says why.
func (s *sharedPlugin) reattach(dir string, stderr io.Writer) string {
	binary := installedProvider(dir)
	if binary == "" || os.Getenv("TF_REATTACH_PROVIDERS") != "" {
		return ""
	}
	s.start(binary)
	<-s.running.started
	if s.running.err != nil {
		fmt.Fprintf(stderr, "review: %v; terraform starts the provider itself for each step\n", s.running.err)
		return ""
	}
	return s.running.plugin.Env()
}

// stop ends the plugin, if one runs.
func (s *sharedPlugin) stop() {
	if s.running == nil {
		return
	}
	<-s.running.started
	if s.running.err == nil {
		s.running.plugin.Stop()
	}
	s.running = nil
}
