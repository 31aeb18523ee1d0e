package jsiiruntime

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeHost is a host with its environment in a map, a Node.js per path
// with the version it answers, and a Go module cache in a temp folder that
// holds jsii-runtime-go v1.2.3.
type fakeHost struct {
	env      map[string]string
	modCache string
	versions map[string]string // node path -> node --version
	asked    []string          // the nodes asked their version
}

func newFakeHost(t *testing.T) (*fakeHost, host) {
	t.Helper()
	f := &fakeHost{
		env:      map[string]string{"HOME": t.TempDir(), "PATH": "/machine/bin"},
		modCache: t.TempDir(),
		versions: map[string]string{"/machine/bin/node": "v20.20.2"},
	}
	f.env["GOMODCACHE"] = f.modCache
	writeFile(t, filepath.Join(f.modCache, "github.com/aws/jsii-runtime-go@v1.2.3/internal/embedded/resources/bin/jsii-runtime.js"), "")
	return f, host{
		getenv: func(k string) string { return f.env[k] },
		setenv: func(k, v string) error { f.env[k] = v; return nil },
		lookPath: func(name string) (string, error) {
			if name == "node" {
				return "/machine/bin/node", nil
			}
			return "", exec.ErrNotFound // no setsid: the command is shorter
		},
		nodeVersion: func(node string) (string, error) {
			f.asked = append(f.asked, node)
			if v, ok := f.versions[node]; ok {
				return v, nil
			}
			return "", errors.New("not found")
		},
		goModule: func(path string) string {
			if path == "github.com/aws/jsii-runtime-go" {
				return "v1.2.3"
			}
			return ""
		},
		goCommand:  func(...string) string { return "" },
		workDir:    t.TempDir(),
		executable: filepath.Join(t.TempDir(), "app"),
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// newProject is a folder with node_modules/.bin/node, as npm ci leaves it.
func newProject(t *testing.T) string {
	project := t.TempDir()
	writeFile(t, filepath.Join(project, "node_modules", ".bin", "node"), "")
	return project
}

func (f *fakeHost) startCommand() string {
	script := filepath.Join(f.env["HOME"], ".cache", "aurora-stages", "jsii-start-"+startDigest(), "start.sh")
	runtime := filepath.Join(f.modCache, "github.com/aws/jsii-runtime-go@v1.2.3/internal/embedded/resources/bin/jsii-runtime.js")
	return "exec '" + script + "' '" + runtime + "'"
}

func startDigest() string {
	sum := sha256.Sum256(append([]byte(startScript), preload...))
	return hex.EncodeToString(sum[:])[:12]
}

func TestConfigure(t *testing.T) {
	const oldNode = "note: jsii runs on Node.js v20.20.2 (/machine/bin/node); the project runs on Node.js 22: run `npm ci` in the project folder (or point JSII_NODE at a Node.js 22)"
	cases := []struct {
		name string
		// change sets up the case; it returns what JSII_NODE should be.
		change    func(t *testing.T, f *fakeHost, h *host) string
		wantNotes []string
		wantAsked []string
	}{
		{"the project's Node.js, found from the working folder", func(t *testing.T, f *fakeHost, h *host) string {
			h.workDir = newProject(t)
			return filepath.Join(h.workDir, "node_modules", ".bin", "node")
		}, nil, nil},
		{"found from a folder below the project", func(t *testing.T, f *fakeHost, h *host) string {
			project := newProject(t)
			h.workDir = filepath.Join(project, "cdktf.out", "stacks", "dev")
			return filepath.Join(project, "node_modules", ".bin", "node")
		}, nil, nil},
		{"found from the binary's folder", func(t *testing.T, f *fakeHost, h *host) string {
			project := newProject(t)
			h.executable = filepath.Join(project, "bin", "app")
			return filepath.Join(project, "node_modules", ".bin", "node")
		}, nil, nil},
		{"the user's JSII_NODE first", func(t *testing.T, f *fakeHost, h *host) string {
			h.workDir = newProject(t)
			f.env["JSII_NODE"], f.versions["/opt/node24/bin/node"] = "/opt/node24/bin/node", "v24.1.0"
			return "/opt/node24/bin/node"
		}, nil, []string{"/opt/node24/bin/node"}},
		{"JSII_NODE already the project's (make) is not asked", func(t *testing.T, f *fakeHost, h *host) string {
			h.workDir = newProject(t)
			f.env["JSII_NODE"] = filepath.Join(h.workDir, "node_modules", ".bin", "node")
			return f.env["JSII_NODE"]
		}, nil, nil},
		{"no project: an older Node.js on PATH gets one line", func(t *testing.T, f *fakeHost, h *host) string {
			return ""
		}, []string{oldNode}, []string{"/machine/bin/node"}},
		{"no project: Node.js 22 on PATH says nothing", func(t *testing.T, f *fakeHost, h *host) string {
			f.versions["/machine/bin/node"] = "v22.23.3"
			return ""
		}, nil, []string{"/machine/bin/node"}},
		{"a go env -w module cache", func(t *testing.T, f *fakeHost, h *host) string {
			h.workDir = newProject(t)
			f.env["GOMODCACHE"] = t.TempDir() // the guess, empty
			h.goCommand = func(args ...string) string {
				if slices.Equal(args, []string{"env", "GOMODCACHE"}) {
					return f.modCache
				}
				return ""
			}
			return filepath.Join(h.workDir, "node_modules", ".bin", "node")
		}, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, h := newFakeHost(t)
			wantNode := c.change(t, f, &h)
			notes := configure(h)
			if !slices.Equal(notes, c.wantNotes) {
				t.Errorf("notes:\n%q\nwant\n%q", notes, c.wantNotes)
			}
			if !slices.Equal(f.asked, c.wantAsked) {
				t.Errorf("asked the version of %q, want %q", f.asked, c.wantAsked)
			}
			if f.env["JSII_NODE"] != wantNode {
				t.Errorf("JSII_NODE = %q, want %q", f.env["JSII_NODE"], wantNode)
			}
			if got, want := f.env["JSII_RUNTIME"], f.startCommand(); got != want {
				t.Errorf("JSII_RUNTIME =\n%s\nwant\n%s", got, want)
			}
			silenced := c.wantNotes != nil
			if got := f.env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"]; (got == "20") != silenced {
				t.Errorf("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = %q; jsii's banner should be silenced: %v", got, silenced)
			}
		})
	}
}

func TestConfigureFallsBackToJsiisOwnRuntime(t *testing.T) {
	t.Run("the user's JSII_RUNTIME", func(t *testing.T) {
		f, h := newFakeHost(t)
		f.env["JSII_RUNTIME"] = "my-runtime"
		if notes := configure(h); notes != nil || f.env["JSII_RUNTIME"] != "my-runtime" || f.env["JSII_NODE"] != "" {
			t.Errorf("notes %q, JSII_RUNTIME %q, JSII_NODE %q: want the user's runtime and nothing else", notes, f.env["JSII_RUNTIME"], f.env["JSII_NODE"])
		}
	})
	t.Run("no jsii-runtime-go in the module cache", func(t *testing.T) {
		f, h := newFakeHost(t)
		h.workDir = newProject(t)
		h.goModule = func(string) string { return "v9.9.9" }
		want := "warning: jsii's runtime starts from the temp directory: github.com/aws/jsii-runtime-go v9.9.9 is not in the Go module cache (" + f.env["GOMODCACHE"] + "): `go mod download` in the project folder puts it there"
		if notes := configure(h); !slices.Equal(notes, []string{want}) || f.env["JSII_RUNTIME"] != "" {
			t.Errorf("notes %q, JSII_RUNTIME %q; want no JSII_RUNTIME and\n%s", notes, f.env["JSII_RUNTIME"], want)
		}
	})
}

// The runtime is the one of the jsii-runtime-go release go.mod requires,
// which is what this test binary was built with: jsii's client checks the
// runtime's version at its handshake.
func TestTheRuntimeIsTheRequiredJsiiRuntimeGos(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}} {{.Dir}}", "github.com/aws/jsii-runtime-go").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	version, dir, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	want := filepath.Join(dir, "internal", "embedded", "resources", "bin", "jsii-runtime.js")
	// As a built program finds it (its build records the release), and as
	// a test binary does (go list, in the module).
	for name, h := range map[string]host{
		"program": {getenv: os.Getenv, goModule: func(string) string { return version }, goCommand: goCommand},
		"test":    {getenv: os.Getenv, goModule: builtWith, goCommand: goCommand},
	} {
		if runtime, err := moduleRuntime(h); err != nil || runtime != want {
			t.Errorf("%s: moduleRuntime = %q, %v; want %q", name, runtime, err, want)
		}
	}
}

func TestExtractWritesOnceAndReusesTheFolder(t *testing.T) {
	root := t.TempDir()
	dir, err := Extract(root)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(dir) != "jsii-start-"+startDigest() {
		t.Errorf("Extract wrote %s, want a folder named after its content", dir)
	}
	if data, err := os.ReadFile(filepath.Join(dir, "preload.js")); err != nil || !bytes.Equal(data, preload) {
		t.Errorf("preload.js: %v", err)
	}
	if info, err := os.Stat(filepath.Join(dir, "start.sh")); err != nil || info.Mode().Perm()&0o100 == 0 {
		t.Errorf("start.sh is not executable: %v %v", info, err)
	}
	again, err := Extract(root)
	if err != nil || again != dir {
		t.Fatalf("second Extract = %q, %v; want %q", again, err, dir)
	}
	entries, _ := os.ReadDir(root)
	if len(entries) != 1 {
		t.Errorf("cache root holds %d entries, want the one folder (no staging left): %v", len(entries), entries)
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
		cmd := exec.Command(shell, "-c", runtimeCommand(script, "runtime.js", exec.LookPath))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		shellPid := strconv.Itoa(cmd.Process.Pid)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("%s -c %s: %v\n%s", shell, runtimeCommand(script, "runtime.js", exec.LookPath), err, &out)
		}
		fields := strings.Fields(out.String())
		if len(fields) != 3 || fields[0] != shellPid || fields[1] != shellPid || fields[2] != shellPid {
			t.Errorf("%s: script printed pid, group, session = %q; want the shell's pid %s for all three (exec, then setsid)", shell, out.String(), shellPid)
		}
	}
	if got, want := runtimeCommand("/a/start.sh", "/b/it's.js", func(string) (string, error) { return "", exec.ErrNotFound }), `exec '/a/start.sh' '/b/it'\''s.js'`; got != want {
		t.Errorf("without setsid: %q, want %q", got, want)
	}
}

// The preload makes the provider's index lazy: a submodule is loaded when
// its export is first read, and reads the same value as before.
func TestPreloadLoadsProviderSubmodulesOnFirstUse(t *testing.T) {
	node := testNode(t)
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
	preloadPath := filepath.Join(t.TempDir(), "preload.js")
	write(preloadPath, string(preload))

	script := `const aws = require("@cdktf/provider-aws/lib/index.js");
console.log(Object.keys(aws).join(","), aws.rdsCluster.RdsCluster.name);`
	cmd := exec.Command(node, "--require", preloadPath, "-e", script)
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

// GIVEN cdktf's own binary version check (the project's node_modules, which
// has the path the kernel's copy ends with) and a terraform that counts its
// runs, WHEN validations with different constraints run several times
// after the runtime's start-up, THEN they report what they report without
// the preload, a version too old and a terraform that fails alike, and
// terraform runs once per process (a failed run once more, for cdktf's own
// error).
func TestPreloadRunsTerraformVersionOncePerProcess(t *testing.T) {
	node := testNode(t)
	check, err := filepath.Abs(filepath.Join("..", "..", "node_modules", "cdktf", "lib", "validations", "validate-terraform-version.js"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(check); err != nil {
		t.Skipf("no cdktf in the project's node_modules (%v); make test runs npm ci", err)
	}
	preloadPath := filepath.Join(t.TempDir(), "preload.js")
	writeFile(t, preloadPath, string(preload))
	bin := t.TempDir()
	runs := filepath.Join(t.TempDir(), "runs")
	writeFile(t, filepath.Join(bin, "old-terraform"), "#!/bin/sh\necho run >> '"+runs+"'\necho 'Terraform v1.3.9'\necho 'on linux_amd64'\n")
	writeFile(t, filepath.Join(bin, "broken-terraform"), "#!/bin/sh\necho run >> '"+runs+"'\necho 'no state here' >&2\nexit 3\n")
	// Loading cdktf starts the preload's lookup; jsii's requests come long
	// after it ended, which the script waits for.
	script := `const { ValidateTerraformVersion } = require(` + strconv.Quote(check) + `);
const { versionLookup } = process.env.PRELOAD ? require(process.env.PRELOAD) : {};
Promise.resolve(versionLookup).then(() => {
  const checks = [new ValidateTerraformVersion(">=1.4", "Upgrade."), new ValidateTerraformVersion(">=1.2")];
  for (let round = 0; round < 3; round++) {
    for (const check of checks) console.log(JSON.stringify(check.validate()));
  }
});`
	run := func(terraform, preload string) (output string, terraformRuns int) {
		t.Helper()
		os.Remove(runs)
		var args []string
		if preload != "" {
			args = []string{"--require", preload}
		}
		cmd := exec.Command(node, append(args, "-e", script)...)
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "TERRAFORM_BINARY_NAME="+terraform, "PRELOAD="+preload)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("node %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		data, _ := os.ReadFile(runs)
		return string(out), strings.Count(string(data), "run\n")
	}
	for _, c := range []struct {
		terraform, want string
		runsWithPreload int
	}{
		{"old-terraform", `["old-terraform version 1.3.9 is lower than the required version >=1.4 for this construct. Upgrade."]`, 1},
		{"broken-terraform", `["Could not determine version of broken-terraform, broken-terraform version failed: Error: Command failed: broken-terraform version\nno state here\n"]`, 2},
	} {
		without, runsWithout := run(c.terraform, "")
		with, runsWith := run(c.terraform, preloadPath)
		if with != without {
			t.Errorf("%s: with the preload the validations report\n%s\nwithout it\n%s", c.terraform, with, without)
		}
		if first := strings.SplitN(with, "\n", 2)[0]; first != c.want {
			t.Errorf("%s: the first validation reports\n%s\nwant\n%s", c.terraform, first, c.want)
		}
		if runsWithout != 6 || runsWith != c.runsWithPreload {
			t.Errorf("%s ran %d times with the preload and %d without; want %d and 6 (once per validation)", c.terraform, runsWith, runsWithout, c.runsWithPreload)
		}
	}
}

// GIVEN the start script and a kernel program of jsii's shape (it opens fd
// 3 for its requests and its answers) that answers each request with what
// it read, WHEN it is started as jsii-runtime-go starts a runtime (pipes
// for stdin, stdout and stderr), THEN requests on stdin are answered on
// stdout, what the kernel prints arrives on stderr, its child processes do
// not see the start's variable, and once the Go side stops reading, an
// answer ends the kernel quietly with status 0.
func TestStartScriptRunsTheKernelAlone(t *testing.T) {
	node := testNode(t)
	dir, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kernel := filepath.Join(t.TempDir(), "lib", "program.js")
	writeFile(t, kernel, `const io = new (class SyncStdio { constructor(fds) { Object.assign(this, fds); } })({readFD:3,writeFD:3});
const fs = require("fs");
console.log("printed by the kernel");
const line = () => { const buffer = Buffer.alloc(256); return buffer.subarray(0, fs.readSync(io.readFD, buffer)).toString(); };
fs.writeSync(io.writeFD, "answer to " + line());
const child = require("child_process").execSync("echo ${AURORA_STAGES_KERNEL_FD:-unset}").toString();
fs.writeSync(io.writeFD, "child sees " + child);
line();
for (;;) fs.writeSync(io.writeFD, "an answer nobody reads\n");
`)
	cmd := exec.Command(filepath.Join(dir, "start.sh"), kernel)
	cmd.Env = append(os.Environ(), "JSII_NODE="+node)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Write([]byte("request\n"))
	answers := make([]byte, 64)
	var got string
	for !strings.Contains(got, "child sees") || !strings.HasSuffix(got, "\n") {
		n, err := stdout.Read(answers)
		if err != nil {
			t.Fatalf("reading the answers: %v; so far %q; stderr %s", err, got, &stderr)
		}
		got += string(answers[:n])
	}
	if want := "answer to request\nchild sees unset\n"; got != want {
		t.Errorf("answers %q, want %q", got, want)
	}
	stdout.Close()
	stdin.Write([]byte("stop reading\n"))
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Errorf("the kernel after the Go side stopped reading: %v, want status 0", err)
	}
	if got := stderr.String(); got != "printed by the kernel\n" {
		t.Errorf("stderr %q, want only what the kernel printed", got)
	}
}

// The kernel program of the jsii-runtime-go release go.mod requires opens
// its requests and answers as preload.js expects: the runtime starts
// without jsii's host.
func TestTheRequiredKernelStartsAlone(t *testing.T) {
	runtime, err := moduleRuntime(host{getenv: os.Getenv, goModule: builtWith, goCommand: goCommand})
	if err != nil {
		t.Fatal(err)
	}
	if kernel := kernelAlone(runtime); filepath.Base(kernel) != "program.js" {
		t.Errorf("kernelAlone(%s) = %s: jsii-runtime-go's lib/program.js no longer opens %q; see preload.js", runtime, kernel, kernelStdio)
	}
	if !bytes.Contains(preload, []byte(`exports.kernelStdio = "`+kernelStdio+`";`)) {
		t.Errorf("preload.js rewrites another kernelStdio than %q", kernelStdio)
	}
}

// testNode is the Node.js the preload tests run: JSII_NODE, which make
// test sets to the project's Node.js 22, else the node on PATH.
func testNode(t *testing.T) string {
	t.Helper()
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	if _, err := exec.LookPath(node); err != nil {
		t.Skipf("no Node.js (%v); make test sets JSII_NODE", err)
	}
	return node
}
