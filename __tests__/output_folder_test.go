package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// An output folder whose parents do not exist is made with them, whichever
// entry point names it: the app through CDKTF_OUTDIR (what the cdktf CLI's
// --output sets), and the cdktf CLI itself.
func TestNestedOutputFolderIsCreated(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesis starts Node.js; skipped in -short mode (make test runs it)")
	}
	t.Parallel()
	app := goBinary(t, ".")
	dir := t.TempDir()
	config := `{"language": "go", "app": "` + app + `", "context": ` + withStages(`{"dev": {}}`) + `}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "DB_STAGES=dev")

	cmd := exec.Command(app)
	cmd.Dir, cmd.Env = dir, append(env, "CDKTF_OUTDIR="+filepath.Join("build", "app", "cdktf.out"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("app with a nested CDKTF_OUTDIR: %v\n%s", err, out)
	}
	expectStackFile(t, filepath.Join(dir, "build", "app", "cdktf.out", "stacks", "dev", "cdk.tf.json"))

	cli := exec.Command(filepath.Join(repoRootPath, "node_modules", ".bin", "cdktf"), "synth", "--output", filepath.Join("build", "cli", "cdktf.out"))
	cli.Dir, cli.Env = dir, append(env, "CI=1", "CHECKPOINT_DISABLE=1")
	if out, err := cli.CombinedOutput(); err != nil {
		t.Fatalf("cdktf synth --output build/cli/cdktf.out: %v\n%s", err, out)
	}
	expectStackFile(t, filepath.Join(dir, "build", "cli", "cdktf.out", "stacks", "dev", "cdk.tf.json"))
}

func expectStackFile(t *testing.T, path string) {
	t.Helper()
	var doc map[string]any
	readJSON(t, path, &doc)
	if _, ok := doc["resource"]; !ok {
		t.Errorf("%s has no resources", path)
	}
}
