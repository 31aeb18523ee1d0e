package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// The project folders keep the repository's settings and name the stages
// the benchmark promises: bootstrap plus dev and production for 3 stacks,
// and s2..s39 besides for 41.
func TestWriteProjectNamesTheStages(t *testing.T) {
	source := filepath.Join(t.TempDir(), "cdktf.json")
	if err := os.WriteFile(source, []byte(`{"app": "go run .", "context": {"service": "movies", "stages": {"staging": {"maxCapacity": 16}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, stacks := range []int{fewStacks, manyStacks} {
		folder := filepath.Join(t.TempDir(), "project")
		if err := writeProject(source, folder, stacks); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(folder, "cdktf.json"))
		if err != nil {
			t.Fatal(err)
		}
		var config struct {
			App     string `json:"app"`
			Context struct {
				Service string                     `json:"service"`
				Stages  map[string]json.RawMessage `json:"stages"`
			} `json:"context"`
		}
		if err := json.Unmarshal(data, &config); err != nil {
			t.Fatal(err)
		}
		want := []string{"dev", "production"}
		for i := 2; len(want) < stacks-1; i++ {
			want = append(want, "s"+strconv.Itoa(i))
		}
		var got []string
		for stage := range config.Context.Stages {
			got = append(got, stage)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || config.App != "go run ." || config.Context.Service != "movies" {
			t.Errorf("%d stacks: stages %v, app %q, service %q; want stages %v and the rest unchanged", stacks, got, config.App, config.Context.Service, want)
		}
		if stacks == manyStacks && (got[len(got)-1] != "s9" || !slices.Contains(got, "s39") || slices.Contains(got, "s40")) {
			t.Errorf("41 stacks: stages %v, want s2..s39", got)
		}
	}
}
