package stagequery

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// TestMain removes the jsii runtime that the CDKTF bindings, linked
// through stacks, extract when the test binary starts: make test fails on
// anything of jsii's left in its temp directory.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}
