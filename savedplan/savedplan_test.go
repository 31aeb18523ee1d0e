package savedplan

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/tfrun"
)

// planFile writes a plan file as terraform does (a zip archive) holding a
// prior state of the given lineage and serial.
func planFile(t *testing.T, dir string, state State) string {
	t.Helper()
	path := filepath.Join(dir, "review.tfplan")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	archive := zip.NewWriter(f)
	for name, content := range map[string]string{
		"tfplan":  "the plan itself",
		"tfstate": fmt.Sprintf(`{"version": 4, "serial": %d, "lineage": %q, "resources": []}`, state.Serial, state.Lineage),
	} {
		w, err := archive.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, content)
	}
	if err := archive.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

var planned = State{Lineage: "1567ad86-8693-a55f-06c9-68fe91a0c5a4", Serial: 3}

// saved writes a stack folder and its plan, saves them in a new folder and
// returns that folder.
func saved(t *testing.T) string {
	t.Helper()
	stack := t.TempDir()
	for name, content := range map[string]string{"cdk.tf.json": `{"terraform": {}}`, ".terraform.lock.hcl": "# lock"} {
		if err := os.WriteFile(filepath.Join(stack, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "saved")
	m := Manifest{Stage: "dev", Account: "123456789012", Region: "us-east-1", Commit: "abc", PlannedAt: time.Date(2026, 12, 5, 9, 30, 0, 0, time.UTC)}
	review := Review{Text: "Plan for stage dev: 0 to create\n", Markdown: "### Plan for stage dev\n", ExitStatus: 2, Risks: 1}
	if err := Save(dir, stack, planFile(t, stack, planned), m, review); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestSaveKeepsWhatAnApplyNeedsAndOpenReadsItBack(t *testing.T) {
	dir := saved(t)
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	want := []string{"plan.tfplan", "review.md", "review.txt", "saved-plan.json", "stack/.terraform.lock.hcl", "stack/cdk.tf.json"}
	if !slices.Equal(files, want) {
		t.Errorf("saved files %v, want %v", files, want)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m := s.Manifest; m.State != planned || m.Stage != "dev" || m.ReviewExitStatus != 2 || m.Risks != 1 || m.Format != format {
		t.Errorf("manifest read back: %+v", m)
	}
	if got, want := s.Manifest.Describe(), "Saved plan of stage dev (account 123456789012, region us-east-1), planned at 2026-12-05 09:30:00 UTC from commit abc against the state's serial 3 of lineage 1567ad86-8693-a55f-06c9-68fe91a0c5a4."; got != want {
		t.Errorf("Describe() = %q\nwant        %q", got, want)
	}
}

func TestOpenRefusesAFolderThatIsNoWholeSavedPlan(t *testing.T) {
	cases := []struct {
		name   string
		change func(dir string) error
		want   string
	}{
		{"an empty folder", func(dir string) error { return os.Remove(filepath.Join(dir, ManifestName)) }, "is not a saved plan: it has no saved-plan.json"},
		{"a manifest that is not JSON", func(dir string) error { return os.WriteFile(filepath.Join(dir, ManifestName), []byte("plan"), 0o644) }, "saved-plan.json is not its manifest"},
		{"the plan changed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, PlanName), []byte("another plan"), 0o644)
		}, "is not the plan that was reviewed: plan.tfplan changed since it was saved"},
		{"the stack changed", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, StackDir, "cdk.tf.json"), []byte(`{"terraform": {"backend": {}}}`), 0o644)
		}, "stack/cdk.tf.json changed since it was saved"},
		{"the lock file missing", func(dir string) error { return os.Remove(filepath.Join(dir, StackDir, ".terraform.lock.hcl")) }, "is not a whole saved plan: stack/.terraform.lock.hcl is missing"},
		{"another format", func(dir string) error {
			data, _ := os.ReadFile(filepath.Join(dir, ManifestName))
			return os.WriteFile(filepath.Join(dir, ManifestName), []byte(strings.Replace(string(data), `"format": 1`, `"format": 7`, 1)), 0o644)
		}, "is a saved plan of format 7, this apply reads format 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := saved(t)
			if err := c.change(dir); err != nil {
				t.Fatal(err)
			}
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "make review STAGE=<stage> ARGS=\"--save <folder>\"") {
				t.Errorf("Open: %v\nwant an error saying %q and how to save a plan", err, c.want)
			}
		})
	}
}

func TestSaveRefusesAFolderWithOtherFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
	err := Save(dir, t.TempDir(), "unused.tfplan", Manifest{}, Review{})
	if err == nil || !strings.Contains(err.Error(), "has files in it and is not a saved plan") {
		t.Errorf("Save into a folder of other files: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("the folder's file is gone: %v", err)
	}
	// An earlier saved plan is replaced whole.
	earlier := saved(t)
	os.WriteFile(filepath.Join(earlier, "extra"), []byte("x"), 0o644)
	stack := t.TempDir()
	for _, name := range stackFiles {
		os.WriteFile(filepath.Join(stack, name), []byte(name), 0o644)
	}
	if err := Save(earlier, stack, planFile(t, stack, State{Lineage: "l", Serial: 9}), Manifest{Stage: "dev"}, Review{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(earlier, "extra")); err == nil {
		t.Errorf("a file of the earlier saved plan's folder is left")
	}
	if s, err := Open(earlier); err != nil || s.Manifest.State.Serial != 9 {
		t.Errorf("the saved plan that replaced an earlier one: %v, %+v", err, s)
	}
}

func TestCheckRefusesAnotherStageAccountOrRegion(t *testing.T) {
	s, err := Open(saved(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(Target{Stage: "dev", Account: "123456789012", Region: "us-east-1"}); err != nil {
		t.Errorf("the plan's own target refused: %v", err)
	}
	for target, want := range map[Target]string{
		{Stage: "production", Account: "123456789012", Region: "us-east-1"}: "it was made for stage dev, not production",
		{Stage: "dev", Account: "210987654321", Region: "us-east-1"}:        "it was made in account 123456789012, and these credentials reach account 210987654321",
		{Stage: "dev", Account: "123456789012", Region: "eu-west-1"}:        "it was made for region us-east-1, and stage dev is in eu-west-1 now",
	} {
		err := s.Check(target)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Nothing was applied") {
			t.Errorf("Check(%+v) = %v\nwant it refused: %s", target, err, want)
		}
	}
}

// fakeTerraform answers state pull with state and, when applyOut is set,
// fails the apply with it; it records every command.
func fakeTerraform(state State, applyOut string) *tfrun.Fake {
	script := map[string][]tfrun.Answer{
		"state": {{Stdout: fmt.Sprintf(`{"version": 4, "serial": %d, "lineage": %q}`, state.Serial, state.Lineage)}},
	}
	if applyOut != "" {
		script["apply"] = []tfrun.Answer{{Stdout: applyOut, Fails: true}}
	}
	return &tfrun.Fake{Script: script}
}

func TestApplyAppliesTheSavedPlanOnlyToTheStateItWasPlannedAgainst(t *testing.T) {
	dir := saved(t)
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	tf := fakeTerraform(planned, "")
	if err := s.Apply(context.Background(), tf, io.Discard); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	want := []string{"init -input=false -no-color -lockfile=readonly", "state pull", "apply -input=false -no-color " + filepath.Join(abs, PlanName)}
	if !slices.Equal(tf.Commands(), want) {
		t.Errorf("commands %q\nwant     %q", tf.Commands(), want)
	}
	for _, call := range tf.Calls() {
		if call.Dir != filepath.Join(abs, StackDir) {
			t.Errorf("%s ran in %s, want the saved stack's folder %s", call, call.Dir, filepath.Join(abs, StackDir))
		}
	}

	for name, tf := range map[string]*tfrun.Fake{
		"a later serial":          fakeTerraform(State{Lineage: planned.Lineage, Serial: 4}, ""),
		"another lineage":         fakeTerraform(State{Lineage: "another", Serial: 3}, ""),
		"moved during the apply":  fakeTerraform(planned, "Error: Saved plan is stale\n"),
		"no state any more (new)": fakeTerraform(State{}, ""),
	} {
		err := s.Apply(context.Background(), tf, io.Discard)
		if !errors.Is(err, ErrStale) || !strings.Contains(err.Error(), "nothing was applied") || !strings.Contains(err.Error(), "make review STAGE=dev") {
			t.Errorf("%s: Apply = %v, want it refused as stale, saying what to do", name, err)
		}
		if name != "moved during the apply" && slices.ContainsFunc(tf.Commands(), func(c string) bool { return strings.HasPrefix(c, "apply") }) {
			t.Errorf("%s: terraform apply ran: %q", name, tf.Commands())
		}
	}
}
