package tests

import (
	"slices"
	"strings"
	"testing"
)

// Arguments that would put a secret into Terraform state or a plan file.
var secretArguments = []string{"secret_string", "secret_binary", "master_password", "password", "value_wo", "insecure_value"}

// The master password exists only at deploy time, in an ephemeral block.
// No resource may set an argument whose value Terraform keeps in state or
// in a plan; the password reaches AWS only through write-only arguments.
func TestNoResourceSetsAnArgumentThatStoresASecret(t *testing.T) {
	for _, stage := range testStacks {
		resources, _ := stackJSON(t, stage)["resource"].(map[string]any)
		// Arguments only: a resource may well be named master_password.
		for typ, instances := range resources {
			for name, body := range instances.(map[string]any) {
				walkKeys(body, "resource."+typ+"."+name, func(path, key string) {
					if slices.Contains(secretArguments, key) {
						t.Errorf("stage %s: %s.%s is set; Terraform would store its value", stage, path, key)
					}
				})
			}
		}
	}
}

// The generated password goes to the password of record alone; the cluster
// and the credentials clients read take the recorded one.
func TestOnlyWriteOnlyArgumentsReadThePassword(t *testing.T) {
	want := []string{
		"locals.generated_password",
		"locals.recorded_password",
		"resource.aws_rds_cluster.cluster.master_password_wo",
		"resource.aws_secretsmanager_secret_version.credentials_value.secret_string_wo",
		"resource.aws_secretsmanager_secret_version.master_password.secret_string_wo",
	}
	passwordSources := []string{"ephemeral.aws_secretsmanager_random_password", "ephemeral.aws_secretsmanager_secret_version", "local.generated_password", "local.recorded_password"}
	for _, stage := range testStages {
		var readers []string
		walkStrings(stackJSON(t, stage), "", func(path, value string) {
			if slices.ContainsFunc(passwordSources, func(source string) bool { return strings.Contains(value, source) }) {
				readers = append(readers, path)
			}
		})
		slices.Sort(readers)
		if !slices.Equal(readers, want) {
			t.Errorf("stage %s: the password is read by\n %q\nwant only\n %q", stage, readers, want)
		}
	}
}

// walkKeys calls visit with every object key below node and its parent's path.
func walkKeys(node any, path string, visit func(path, key string)) {
	switch v := node.(type) {
	case map[string]any:
		for key, child := range v {
			visit(path, key)
			walkKeys(child, path+"."+key, visit)
		}
	case []any:
		for _, child := range v {
			walkKeys(child, path, visit)
		}
	}
}

// walkStrings calls visit with the dotted path of every string in the JSON.
func walkStrings(node any, path string, visit func(path, value string)) {
	switch v := node.(type) {
	case string:
		visit(path, v)
	case map[string]any:
		for key, child := range v {
			walkStrings(child, strings.TrimPrefix(path+"."+key, "."), visit)
		}
	case []any:
		for _, child := range v {
			walkStrings(child, path, visit)
		}
	}
}
