package tests

import (
	"os/exec"
	"strings"
	"testing"
)

// nodeStarters are the modules that link jsii's runtime, which unpacks and
// starts Node.js: the CDKTF bindings, constructs, the AWS provider's
// bindings and jsii itself.
var nodeStarters = []string{
	"github.com/aws/jsii-runtime-go",
	"github.com/hashicorp/terraform-cdk-go",
	"github.com/aws/constructs-go",
	"github.com/cdktf/cdktf-provider-aws-go",
}

// GIVEN the settings package and the commands that only read a stage's
// settings WHEN their dependencies are listed THEN none starts Node.js:
// stage settings are data, and a command that does not synthesize stays
// small and starts at once.
func TestSettingsAndItsCommandsLinkNoJsii(t *testing.T) {
packages:
	for _, pkg := range []string{"./settings", "./internal/awsconfig", "./internal/stagequery", "./internal/stagestate", "./cmd/query", "./cmd/unlock", "./cmd/previews", "./cmd/migrate", "./cmd/apply", "./cmd/settings-doc"} {
		list := exec.Command("go", "list", "-deps", pkg)
		list.Dir = repoRootPath
		out, err := list.Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, starter := range nodeStarters {
				if dep == starter || strings.HasPrefix(dep, starter+"/") {
					t.Errorf("%s imports %s, which links jsii's runtime", pkg, dep)
					continue packages
				}
			}
		}
	}
}
