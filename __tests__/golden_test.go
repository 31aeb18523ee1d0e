package tests

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite __tests__/testdata/<stage>.tf.json from the current synthesis")

// The golden files are each test stage's synthesized Terraform, byte for
// byte, so a reviewer sees every change to the real Terraform as a diff.
// After an intended change: go test ./__tests__/ -run TestGolden -update
func TestGoldenFiles(t *testing.T) {
	for _, stage := range testStages {
		t.Run(stage, func(t *testing.T) {
			got, err := os.ReadFile(stackFile(t, stage))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", stage+".tf.json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (create it with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stage %s: synthesized Terraform differs from %s (-golden +synthesized):\n%s\nIf the change is intended, run: go test ./__tests__/ -run TestGolden -update", stage, golden, cmp.Diff(string(want), string(got)))
			}
		})
	}
}
