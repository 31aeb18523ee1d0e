package tests

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// outsideMake is the environment of a shell outside make: the test's,
// without JSII_NODE, JSII_RUNTIME and node_modules/.bin on PATH, so `node`
// is the machine's. It returns the machine's node ("" if none) and its
// major version.
func outsideMake(t *testing.T) (env []string, node string, major int) {
	t.Helper()
	var path []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if !strings.Contains(dir, "node_modules") {
			path = append(path, dir)
		}
	}
	for _, entry := range os.Environ() {
		name, _, _ := strings.Cut(entry, "=")
		switch name {
		case "JSII_NODE", "JSII_RUNTIME", "PATH", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION":
		default:
			env = append(env, entry)
		}
	}
	env = append(env, "PATH="+strings.Join(path, string(os.PathListSeparator)), "TMPDIR="+t.TempDir())
	for _, dir := range path {
		if candidate := filepath.Join(dir, "node"); isExecutable(candidate) {
			out, err := exec.Command(candidate, "--version").Output()
			if err != nil {
				t.Fatalf("%s --version: %v", candidate, err)
			}
			major, _ = strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".", 2)[0])
			return env, candidate, major
		}
	}
	return env, "", 0
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && info.Mode()&0o111 != 0
}

// synthIn writes a cdktf.json with the stages into dir, runs the app
// binary there with env and returns its stdout and stderr.
func synthIn(t *testing.T, binary, dir, stages string, env []string) (string, string) {
	t.Helper()
	config := `{"language": "go", "app": "go run .", "context": ` + withStages(stages) + `}`
	if err := os.WriteFile(filepath.Join(dir, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("app in %s: %v\n%s", dir, err, stderr.String())
	}
	return stdout.String(), stderr.String()
}

// GIVEN the app built outside the project, run outside make, with the
// machine's Node.js (here 20, which jsii greets with a 12-line end-of-life
// banner) first on PATH, WHEN it runs in the project, or as a binary kept
// in the project from another folder, THEN it runs on the project's
// Node.js 22 and prints nothing on stderr; WHEN no project is in sight,
// THEN it runs on the machine's Node.js and, if that is older than 22,
// says so in one line instead of the banner.
func TestTheAppRunsOnTheProjectsNodeOutsideMake(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Node.js; skipped in -short mode (make test runs it)")
	}
	binary := goBinary(t, ".")
	env, machineNode, major := outsideMake(t)
	t.Logf("the machine's Node.js: %q, major version %d", machineNode, major)
	const stdout = "bootstrap: cdktf.out/stacks/bootstrap/cdk.tf.json\ndev: cdktf.out/stacks/dev/cdk.tf.json\n"

	t.Run("in the project", func(t *testing.T) {
		// A folder below the repository, as a project's own folders are.
		parent := filepath.Join(repoRootPath, "cdktf.out")
		if err := os.MkdirAll(parent, 0o755); err != nil {
			t.Fatal(err)
		}
		dir, err := os.MkdirTemp(parent, "node-test-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		out, errOut := synthIn(t, binary, dir, `{"dev": {}}`, env)
		if out != stdout || errOut != "" {
			t.Errorf("stdout:\n%s\nwant:\n%s\nstderr (want none):\n%s", out, stdout, errOut)
		}
	})

	t.Run("a binary kept in the project, run from elsewhere", func(t *testing.T) {
		project := t.TempDir()
		if err := os.Symlink(filepath.Join(repoRootPath, "node_modules"), filepath.Join(project, "node_modules")); err != nil {
			t.Fatal(err)
		}
		kept := filepath.Join(project, "bin", "aurora-stages")
		copyFile(t, binary, kept)
		out, errOut := synthIn(t, kept, t.TempDir(), `{"dev": {}}`, env)
		if out != stdout || errOut != "" {
			t.Errorf("stdout:\n%s\nwant:\n%s\nstderr (want none):\n%s", out, stdout, errOut)
		}
	})

	t.Run("no project in sight", func(t *testing.T) {
		if machineNode == "" {
			t.Skip("no Node.js on this machine's PATH")
		}
		_, errOut := synthIn(t, binary, t.TempDir(), `{"dev": {}}`, env)
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if major >= 22 {
			if errOut != "" {
				t.Errorf("stderr on Node.js %d (want none):\n%s", major, errOut)
			}
			return
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "note: jsii runs on Node.js v"+strconv.Itoa(major)+".") ||
			!strings.HasSuffix(lines[0], "the project runs on Node.js 22: run `npm ci` in the project folder (or point JSII_NODE at a Node.js 22)") {
			t.Errorf("stderr on Node.js %d: want one line saying so, got:\n%s", major, errOut)
		}
	})
}

// GIVEN the machine's Node.js (20 here) first on PATH and no project in
// sight, WHEN the app stops before it starts jsii (a bad setting, no
// cdktf.json), THEN it prints the problem and nothing about Node.js.
func TestNoNodeNoteWhenTheAppStopsBeforeJsii(t *testing.T) {
	binary := goBinary(t, ".")
	env, machineNode, major := outsideMake(t)
	t.Logf("the machine's Node.js: %q, major version %d", machineNode, major)
	run := func(dir string) (string, int) {
		cmd := exec.Command(binary)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("app in %s: %v, want exit status 1\n%s", dir, err, out)
		}
		return string(out), exit.ExitCode()
	}
	bad := t.TempDir()
	config := `{"language": "go", "app": "go run .", "context": ` + withStages(`{"dev": {"maxCapacity": 300}}`) + `}`
	if err := os.WriteFile(filepath.Join(bad, "cdktf.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct{ dir, want string }{
		"a bad setting": {bad, `stage "dev": maxCapacity = 300`},
		"no cdktf.json": {t.TempDir(), "reading the configuration: open cdktf.json: no such file or directory"},
	} {
		out, code := run(c.dir)
		if code != 1 || !strings.Contains(out, c.want) || strings.Contains(out, "Node") || strings.Contains(out, "note:") {
			t.Errorf("%s: exit %d, output:\n%s\nwant exit 1 with %q and nothing about Node.js", name, code, out, c.want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o755); err != nil {
		t.Fatal(err)
	}
}
