package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// A saved plan must outlive the next synthesis: cdktf empties its output
// folder of the stacks it does not synthesize.
func TestWithinTheSynthesisOutput(t *testing.T) {
	for _, c := range []struct {
		path, folder string
		inside       bool
	}{
		{"cdktf.out", "cdktf.out", true},
		{"cdktf.out/stacks/dev/plan", "cdktf.out", true},
		{"./cdktf.out/../cdktf.out/saved", "cdktf.out", true},
		{"saved-plan", "cdktf.out", false},
		{"cdktf.outside", "cdktf.out", false},
		{"../cdktf.out", "cdktf.out", false},
		{"..", "cdktf.out", false},
		{filepath.Join(t.TempDir(), "saved"), "cdktf.out", false},
	} {
		if inside, err := within(c.path, c.folder); err != nil || inside != c.inside {
			t.Errorf("within(%q, %q) = %v, %v; want %v", c.path, c.folder, inside, err, c.inside)
		}
	}
}

// --save keeps a plan the review makes, outside the synthesis output: any
// other command line is refused before anything is synthesized.
func TestSaveRefusesWhatItCannotKeep(t *testing.T) {
	for args, want := range map[string]string{
		"--stage dev --save cdktf.out/stacks/dev/saved":         "--save cdktf.out/stacks/dev/saved: name a folder outside the synthesis output cdktf.out",
		"--stage dev --outdir build/out --save build/out/saved": "--save build/out/saved: name a folder outside the synthesis output build/out",
		"--plan-json plan.json --save saved-plan":               "--save keeps a plan this review makes: with --stage, without --plan-json or --drift",
		"--stage dev --drift --save saved-plan":                 "--save keeps a plan this review makes",
	} {
		var stdout, stderr bytes.Buffer
		code := run(strings.Fields(args), &stdout, &stderr)
		if code != 2 || stdout.Len() > 0 || !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), "usage: go run ./cmd/review") {
			t.Errorf("review %s: exit %d, stdout %q, stderr:\n%s\nwant exit 2, nothing on stdout, and %q with the usage", args, code, stdout.String(), stderr.String(), want)
		}
	}
}
