package providerdebug

import (
	"slices"
	"testing"
)

// The plugin's logs are off as terraform runs it, unless the environment
// asks for a level.
func TestQuietTurnsOffOnlyTheLogsNotAskedFor(t *testing.T) {
	got := quiet([]string{"AWS_REGION=us-east-1", "TF_LOG=debug"})
	want := []string{"AWS_REGION=us-east-1", "TF_LOG=debug", "TF_LOG_PROVIDER=off", "TF_LOG_SDK=off", "TF_LOG_SDK_PROTO=off", "TF_LOG_SDK_MUX=off", "TF_LOG_SDK_HELPER_SCHEMA=off", "TF_LOG_SDK_FRAMEWORK=off"}
	if !slices.Equal(got, want) {
		t.Errorf("quiet:\n got %q\nwant %q", got, want)
	}
	if env := quiet(nil); !slices.Contains(env, "TF_LOG=off") || len(env) == len(logLevelVariables) {
		t.Errorf("quiet(nil) = %q, want the process's environment and the levels off", env)
	}
}
