package jsiiruntime

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The files under runtime/ are a copy of the runtime embedded in the
// jsii-runtime-go release go.mod requires; the Go side checks the runtime's
// version at its handshake, so they must move together.
func TestRuntimeFilesMatchTheRequiredJsiiRuntimeGo(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "github.com/aws/jsii-runtime-go").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if version != "v"+Version {
		t.Fatalf("go.mod requires jsii-runtime-go %s, the copied runtime is %s: copy %s/internal/embedded/resources/{bin/jsii-runtime.js,lib/program.js,lib/runtime-index-worker.js} into runtime/ and set Version", version, Version, dir)
	}
	for _, file := range []string{"bin/jsii-runtime.js", "lib/program.js", "lib/runtime-index-worker.js"} {
		want, err := os.ReadFile(filepath.Join(dir, "internal", "embedded", "resources", file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := files.ReadFile("runtime/" + file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("runtime/%s differs from jsii-runtime-go %s's", file, version)
		}
	}
}

func TestExtractWritesOnceAndReusesTheFolder(t *testing.T) {
	root := t.TempDir()
	dir, err := Extract(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"start.sh", "preload.js", "runtime/bin/jsii-runtime.js", "runtime/lib/program.js", "runtime/lib/runtime-index-worker.js"} {
		if _, err := os.Stat(filepath.Join(dir, file)); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if info, err := os.Stat(filepath.Join(dir, "start.sh")); err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Errorf("start.sh is not executable: %v %v", info.Mode(), err)
	}
	again, err := Extract(root)
	if err != nil || again != dir {
		t.Fatalf("second Extract = %q, %v; want %q", again, err, dir)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("cache root holds %d entries, want the one runtime folder (no staging left): %v", len(entries), entries)
	}
}

func TestConfigureKeepsTheUsersRuntime(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "JSII_RUNTIME": "my-runtime"}
	err := configure(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil }, exec.LookPath)
	if err != nil || env["JSII_RUNTIME"] != "my-runtime" {
		t.Errorf("JSII_RUNTIME = %q (err %v), want the user's", env["JSII_RUNTIME"], err)
	}

	env = map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	noSetsid := func(string) (string, error) { return "", exec.ErrNotFound }
	if err := configure(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil }, noSetsid); err != nil {
		t.Fatal(err)
	}
	script, ok := strings.CutPrefix(env["JSII_RUNTIME"], "exec ")
	script = strings.Trim(script, "'")
	if !ok || !strings.HasPrefix(script, filepath.Join(env["XDG_CACHE_HOME"], "aurora-stages", "jsii-runtime-"+Version+"-")) || filepath.Base(script) != "start.sh" {
		t.Errorf("JSII_RUNTIME = %q, want exec of the start script in the cache folder", env["JSII_RUNTIME"])
	}
}

// GIVEN the command configure puts in JSII_RUNTIME, WHEN jsii-runtime-go
// runs it through "$SHELL -c" (dash, bash), THEN the script runs in the
// shell's own process, which is no longer in the Go process's group but
// leads a session of its own: no process of the runtime is left where the
// terminal's Ctrl-C would reach it.
func TestRuntimeCommandLeavesNoProcessInTheCallersGroup(t *testing.T) {
	if _, err := exec.LookPath("setsid"); err != nil {
		t.Skipf("no setsid on this machine: %v", err)
	}
	// A folder name a shell would split or misquote.
	script := filepath.Join(t.TempDir(), "it's a dir", "start.sh")
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// Fields 5 and 6 of /proc/<pid>/stat: process group and session.
	body := "#!/bin/sh\nset -- $(cut -d' ' -f5,6 /proc/$$/stat)\necho $$ $1 $2\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		if _, err := os.Stat(shell); err != nil {
			continue
		}
		cmd := exec.Command(shell, "-c", runtimeCommand(script, exec.LookPath))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		shellPid := strconv.Itoa(cmd.Process.Pid)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s -c %s: %v\n%s", shell, runtimeCommand(script, exec.LookPath), err, &out)
		}
		fields := strings.Fields(out.String())
		if len(fields) != 3 || fields[0] != shellPid || fields[1] != shellPid || fields[2] != shellPid {
			t.Errorf("%s: script printed pid, group, session = %q; want the shell's pid %s for all three (exec, then setsid)", shell, out.String(), shellPid)
		}
	}
	if got, want := runtimeCommand("/a/start.sh", func(string) (string, error) { return "", exec.ErrNotFound }), "exec '/a/start.sh'"; got != want {
		t.Errorf("without setsid: %q, want %q", got, want)
	}
}

// The preload makes the provider's index lazy: a submodule is loaded when
// its export is first read, and reads the same value as before.
func TestPreloadLoadsProviderSubmodulesOnFirstUse(t *testing.T) {
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); err != nil {
		t.Skipf("no Node.js (%v); make test sets JSII_NODE", err)
	}
	root := t.TempDir()
	lib := filepath.Join(root, "node_modules", "@cdktf", "provider-aws", "lib")
	write := func(path, content string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(lib, "index.js"), "\"use strict\";\nexports.rdsCluster = exports.broken = void 0;\nexports.rdsCluster = require(\"./rds-cluster\");\nexports.broken = require(\"./broken\");\n")
	write(filepath.Join(lib, "rds-cluster", "index.js"), "exports.RdsCluster = class RdsCluster {};\n")
	write(filepath.Join(lib, "broken", "index.js"), "throw new Error('loaded although unused');\n")
	preload := filepath.Join(t.TempDir(), "preload.js")
	data, _ := fs.ReadFile(files, "preload.js")
	write(preload, string(data))

	script := `const aws = require("@cdktf/provider-aws/lib/index.js");
console.log(Object.keys(aws).join(","), aws.rdsCluster.RdsCluster.name);`
	cmd := exec.Command(node, "--require", preload, "-e", script)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "broken,rdsCluster RdsCluster" {
		t.Errorf("node: %v\n%s\nwant \"broken,rdsCluster RdsCluster\"", err, out)
	}

	cmd = exec.Command(node, "-e", script)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "loaded although unused") {
		t.Errorf("without the preload the index should load every submodule; node: %v\n%s", err, out)
	}
}
