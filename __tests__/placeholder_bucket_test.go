package tests

// The state bucket name cdktf.json ships is refused when bootstrap is
// planned for a real account (a precondition on the bucket: synthesis and
// the tests still work), and kept on the emulator, whose buckets are its
// own. That the precondition stops a plan was shown by hand with terraform
// against moto (see the note): the error names context.stateBucket.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"aurora-stages/settings"
	"aurora-stages/stacks"
)

func TestTheShippedStateBucketIsRefusedForARealAccount(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	bootstrapOf := func(bucket, endpoint string) string {
		t.Helper()
		context := `{"service": "movies", "region": "us-east-1", "stateBucket": "` + bucket + `", "stages": {"dev": {}}}`
		parsed, err := settings.ParseContext([]byte(context), envOf(map[string]string{"DB_LOCAL_ENDPOINT": endpoint}))
		if err != nil {
			t.Fatal(err)
		}
		resolved, err := parsed.Resolve([]string{settings.BootstrapStack})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := stacks.Synthesize(dir, resolved, nil); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, "stacks", "bootstrap", "cdk.tf.json"))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	refused := bootstrapOf(settings.PlaceholderStateBucket, "")
	if !strings.Contains(refused, `"condition": "${terraform_data.state_bucket_name.input.bucket != \"movies-terraform-state-change-me\"}"`) ||
		!strings.Contains(refused, "context.stateBucket is movies-terraform-state-change-me, the name cdktf.json ships") {
		t.Errorf("bootstrap with the shipped bucket name for a real account has no precondition refusing it:\n%.2000s", refused)
	}
	for _, c := range []struct{ bucket, endpoint string }{
		{settings.PlaceholderStateBucket, "http://127.0.0.1:4566"},
		{"acme-terraform-state", ""},
	} {
		if stack := bootstrapOf(c.bucket, c.endpoint); strings.Contains(stack, "precondition") || strings.Contains(stack, "state_bucket_name") {
			t.Errorf("bucket %s, endpoint %q: bootstrap refuses it, want it kept", c.bucket, c.endpoint)
		}
	}
}
