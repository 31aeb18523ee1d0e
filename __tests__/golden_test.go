package tests

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite __tests__/testdata/<stage>.tf.json from the current synthesis")

// The golden files are each test stage's synthesized Terraform, byte for
// byte, so a reviewer sees every change to the real Terraform as a diff.
// After an intended change: go test ./__tests__/ -run TestGolden -update
func TestGoldenFiles(t *testing.T) {
	for _, stage := range testStacks {
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
				t.Errorf("stage %s: synthesized Terraform differs from %s (-golden +synthesized):\n%s\nIf the change is intended, run: go test ./__tests__/ -run TestGolden -update", stage, golden, lineDiff(string(want), string(got)))
			}
		})
	}
}

// lineDiff shows the lines only in want (-) and only in got (+), from a
// longest common subsequence of lines. It stays in the standard library:
// `go mod tidy` does not see __tests__/, so it would drop a test-only module.
func lineDiff(want, got string) string {
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	// common[i][j] is the length of the longest common subsequence of a[i:] and b[j:].
	common := make([][]int, len(a)+1)
	for i := range common {
		common[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				common[i][j] = common[i+1][j+1] + 1
			} else {
				common[i][j] = max(common[i+1][j], common[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || common[i+1][j] >= common[i][j+1]):
			fmt.Fprintf(&out, "-%5d %s\n", i+1, a[i])
			i++
		default:
			fmt.Fprintf(&out, "+%5d %s\n", j+1, b[j])
			j++
		}
	}
	return out.String()
}
