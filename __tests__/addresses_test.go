package tests

// The review's rules name resources by address (aws_rds_cluster.cluster):
// an address that no stage has would switch its rule off without a word.
// Every address a rule names must be a resource of a synthesized stage (the
// golden stacks, which the golden test keeps equal to the synthesis).

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"aurora-stages/review"
)

func TestReviewRulesNameResourcesTheStagesHave(t *testing.T) {
	stacks, err := filepath.Glob(filepath.Join("testdata", "*.tf.json"))
	if err != nil || len(stacks) == 0 {
		t.Fatalf("no golden stacks: %v", err)
	}
	synthesized := map[string]bool{}
	for _, path := range stacks {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var stack struct {
			Resource map[string]map[string]json.RawMessage `json:"resource"`
		}
		if err := json.Unmarshal(data, &stack); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for resourceType, resources := range stack.Resource {
			for name := range resources {
				synthesized[resourceType+"."+name] = true
			}
		}
	}
	if len(review.Addresses()) == 0 {
		t.Fatal("the review names no address")
	}
	for _, address := range review.Addresses() {
		if !synthesized[address] {
			t.Errorf("the review's rules name %s, which no synthesized stage has: rename the rule's address with its construct (stacks/addresses.go)", address)
		}
	}
}
