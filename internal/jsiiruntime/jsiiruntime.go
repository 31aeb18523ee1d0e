// Package jsiiruntime prepares the Node.js processes that jsii starts for
// the CDKTF bindings, before the first jsii call:
//
//   - Node.js is the user's JSII_NODE, else the project's Node.js 22
//     (node_modules/.bin/node), else the one on PATH. The project is found
//     from the working folder or from the binary's, so `go run .`, a binary
//     built anywhere and `make` all run on the same Node.js. An older
//     Node.js gets one line saying how to get 22, instead of jsii's banner;
//   - the runtime is the one jsii-runtime-go embeds, read where Go already
//     unpacked that module (the module cache, at the release the program
//     was built with), instead of a copy extracted into a fresh
//     jsii-runtime.* folder in the temp directory on every run (which
//     stays behind when the run is killed);
//   - the AWS provider's submodules load on first use instead of all at
//     once (preload.js): a synthesis takes a quarter of the time and 40%
//     of the memory it took; cdktf's check of the Terraform version runs
//     `terraform version` once per process, not once per stack;
//   - the kernel, the runtime's process that runs the JavaScript, is
//     started alone, without the host process jsii puts between it and
//     the Go process (start.sh, preload.js): a round trip to the kernel,
//     of which a stack makes about 80, takes half the time, and the
//     host's 55 MB are saved;
//   - the runtime runs in a session of its own, so Ctrl-C in a terminal
//     reaches the Go process alone, which stops the runtime through jsii's
//     own exit request: the runtime then removes its temporary folder.
//
// The start script and the preload live in the user's cache folder. Where
// the module cache holds no jsii-runtime-go (a binary copied to another
// machine), jsii's own extraction applies, on the Node.js found above. A
// user who sets JSII_RUNTIME keeps theirs, and jsii's defaults with it.
package jsiiruntime

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/aws/jsii-runtime-go"
)

// NodeMajor is the Node.js release the project runs on (package.json's
// "node" package): jsii prints an end-of-life banner on older ones.
const NodeMajor = 22

// runtimeModule is the Go module that embeds jsii's runtime: the runtime
// started must be of the release the program was built with, which its
// client checks at the handshake.
const runtimeModule = "github.com/aws/jsii-runtime-go"

//go:embed preload.js
var preload []byte

// startScript starts the runtime named by its first argument, with
// preload.js: jsii's kernel program alone, its requests on fd 3 and its
// answers on fd 4 (what it prints goes to stderr, where jsii-runtime-go
// prints it), or jsii's host, as jsii-runtime-go would (the host passes
// node's flags on to the kernel it starts). runtimeCommand starts it in a
// session of its own; where there is no setsid (macOS), ignoring SIGINT
// here does most of that.
const startScript = `#!/bin/sh
# Started by jsii-runtime-go through JSII_RUNTIME (internal/jsiiruntime).
# Ctrl-C is left to the Go process, which stops this runtime cleanly.
trap '' INT
case "$1" in
*/program.js)
	export AURORA_STAGES_KERNEL_FD=4
	exec "${JSII_NODE:-node}" --preserve-symlinks --require "$(dirname "$0")/preload.js" "$1" 3<&0 4>&1 1>&2 </dev/null
	;;
esac
exec "${JSII_NODE:-node}" --require "$(dirname "$0")/preload.js" "$1"
`

// kernelStdio is how jsii's kernel program opens its requests and answers
// (preload.js's exports.kernelStdio, which it rewrites): a kernel program
// without it is started through jsii's host.
const kernelStdio = "readFD:3,writeFD:3}"

var interrupted atomic.Bool

// notes are what Setup found to say about the runtime (an older Node.js,
// what it could not set up), printed by Starting when jsii is about to
// start: a run that stops before, on a bad setting, says nothing of Node.
var notes struct {
	sync.Once
	lines []string
}

// Setup prepares the environment the runtime inherits and takes over
// Ctrl-C and SIGTERM. Call it first in main, and Exit last. What it cannot
// set up leaves jsii's defaults in place, with a line on stderr saying why
// when the runtime starts (Starting).
func Setup() {
	h := host{
		getenv:      os.Getenv,
		setenv:      os.Setenv,
		lookPath:    exec.LookPath,
		nodeVersion: nodeVersion,
		goModule:    builtWith,
		goCommand:   goCommand,
	}
	h.workDir, _ = os.Getwd()
	h.executable, _ = os.Executable()
	notes.lines = configure(h)
	// The CDKTF bindings' init functions already made jsii's client, which
	// fixed how its process would start (and extracted a runtime into the
	// temp directory). Nothing has started yet: drop that client, and the
	// next jsii call makes one from the environment above. Registered types
	// are kept; they are global.
	jsii.Close()
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-signals
		// A second Ctrl-C ends the process at once, the default way.
		signal.Stop(signals)
		interrupted.Store(true)
		// Ends the runtime: a pending jsii call fails, so main unwinds
		// (a command it waits for, such as terraform, gets the terminal's
		// Ctrl-C itself) and exits.
		jsii.Close()
	}()
}

// Starting prints, once, what Setup found to say about the runtime: call
// it right before the first jsii call.
func Starting() {
	notes.Do(func() {
		for _, line := range notes.lines {
			fmt.Fprintln(os.Stderr, line)
		}
	})
}

// Interrupted reports whether Ctrl-C or SIGTERM stopped the run.
func Interrupted() bool {
	return interrupted.Load()
}

// Exit stops the runtime, which removes its temporary folder, and exits
// with code; after Ctrl-C or SIGTERM, with 130 and one line naming the
// command instead.
func Exit(command string, code int) {
	jsii.Close()
	if Interrupted() {
		fmt.Fprintln(os.Stderr, command+": interrupted")
		code = 130
	}
	os.Exit(code)
}

// host is what configure reads and changes of the process, so tests can
// give it another.
type host struct {
	getenv   func(string) string
	setenv   func(string, string) error
	lookPath func(string) (string, error)
	// nodeVersion runs node --version.
	nodeVersion func(node string) (string, error)
	// goModule is the version of a Go module the program was built with.
	goModule func(path string) string
	// goCommand runs go and returns its output.
	goCommand  func(args ...string) string
	workDir    string
	executable string
}

// configure sets JSII_NODE and JSII_RUNTIME as the package comment says and
// returns the lines to print on stderr.
func configure(h host) []string {
	if h.getenv("JSII_RUNTIME") != "" {
		return nil
	}
	project := findProject(h.workDir, filepath.Dir(h.executable))
	var notes []string
	node, note := chooseNode(h, project)
	if note != "" {
		notes = append(notes, note)
	}
	if node != "" {
		if err := h.setenv("JSII_NODE", node); err != nil {
			return append(notes, "warning: "+err.Error())
		}
	}
	command, err := startCommand(h)
	if err == nil {
		err = h.setenv("JSII_RUNTIME", command)
	}
	if err != nil {
		notes = append(notes, fmt.Sprintf("warning: jsii's runtime starts from the temp directory: %v", err))
	}
	return notes
}

// startCommand is the JSII_RUNTIME that starts jsii-runtime-go's runtime
// through the start script, which it writes to the cache folder once.
func startCommand(h host) (string, error) {
	runtime, err := moduleRuntime(h)
	if err != nil {
		return "", err
	}
	runtime = kernelAlone(runtime)
	root, err := cacheRoot(h.getenv)
	if err != nil {
		return "", err
	}
	dir, err := Extract(root)
	if err != nil {
		return "", err
	}
	return runtimeCommand(filepath.Join(dir, "start.sh"), runtime, h.lookPath), nil
}

// findProject is the first of the folders, or a folder above one, that
// holds node_modules/.bin/node, or "" when none does.
func findProject(folders ...string) string {
	for _, start := range folders {
		if start == "" || start == "." {
			continue
		}
		for dir := start; ; dir = filepath.Dir(dir) {
			if isFile(projectNode(dir)) {
				return dir
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	return ""
}

// projectNode is the Node.js package.json installs into a project.
func projectNode(project string) string {
	return filepath.Join(project, "node_modules", ".bin", "node")
}

// chooseNode returns the Node.js jsii is to run, "" for the one on PATH,
// and a line for the user when that Node.js is not the one the project
// runs on. The user's JSII_NODE comes first, then the project's Node.js
// NodeMajor. Any other is asked its version: an older one gets jsii's
// banners silenced, and the line says the same once.
func chooseNode(h host, project string) (node, note string) {
	node = h.getenv("JSII_NODE")
	if project != "" {
		if own := projectNode(project); node == "" || node == own {
			return own, ""
		}
	}
	path := node
	if path == "" {
		var err error
		if path, err = h.lookPath("node"); err != nil {
			return "", fmt.Sprintf("warning: no Node.js on PATH and no node_modules here; jsii needs Node.js %d: run `npm ci` in the project folder (or set JSII_NODE)", NodeMajor)
		}
	}
	version, err := h.nodeVersion(path)
	if err != nil {
		return node, fmt.Sprintf("warning: %s --version: %v", path, err)
	}
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(version, "v"), ".", 2)[0])
	if err != nil || major >= NodeMajor {
		return node, ""
	}
	silenced := strings.Trim(h.getenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION")+","+strconv.Itoa(major), ",")
	h.setenv("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", silenced)
	h.setenv("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
	return node, fmt.Sprintf("note: jsii runs on Node.js %s (%s); the project runs on Node.js %d: run `npm ci` in the project folder (or point JSII_NODE at a Node.js %d)", version, path, NodeMajor, NodeMajor)
}

func nodeVersion(node string) (string, error) {
	out, err := exec.Command(node, "--version").Output()
	return strings.TrimSpace(string(out)), err
}

// builtWith is the version of a module in the running program's build
// ("v1.2.3"; "" when the build records none).
func builtWith(module string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, dep := range info.Deps {
		if dep.Path == module {
			if dep.Replace != nil {
				dep = dep.Replace
			}
			return dep.Version
		}
	}
	return ""
}

// moduleRuntime is the entry point of the runtime jsii-runtime-go embeds,
// in the Go module cache, for the release the program was built with.
func moduleRuntime(h host) (string, error) {
	entry := filepath.Join("internal", "embedded", "resources", "bin", "jsii-runtime.js")
	version := h.goModule(runtimeModule)
	if version == "" {
		// A test binary's build records no dependencies; it runs in the
		// module, whose go.mod it was built from.
		if dir := h.goCommand("list", "-m", "-f", "{{.Dir}}", runtimeModule); dir != "" && isFile(filepath.Join(dir, entry)) {
			return filepath.Join(dir, entry), nil
		}
		return "", fmt.Errorf("the program's build records no %s release", runtimeModule)
	}
	// The module path has no capital letters, which the cache would escape.
	entry = filepath.Join(filepath.FromSlash(runtimeModule)+"@"+version, entry)
	// Where the cache usually is, else where go says (for a cache set with
	// `go env -w`).
	caches := []string{guessModuleCache(h.getenv)}
	if !isFile(filepath.Join(caches[0], entry)) {
		if asked := h.goCommand("env", "GOMODCACHE"); asked != "" && asked != caches[0] {
			caches = append(caches, asked)
		}
	}
	for _, cache := range caches {
		if isFile(filepath.Join(cache, entry)) {
			return filepath.Join(cache, entry), nil
		}
	}
	return "", fmt.Errorf("%s %s is not in the Go module cache (%s): `go mod download` in the project folder puts it there", runtimeModule, version, strings.Join(caches, ", "))
}

// kernelAlone is the kernel program beside the host's entry point
// (bin/jsii-runtime.js, lib/program.js), if it opens its requests and
// answers as preload.js expects, else the host's entry point.
func kernelAlone(host string) string {
	kernel := filepath.Join(filepath.Dir(filepath.Dir(host)), "lib", "program.js")
	if program, err := os.ReadFile(kernel); err == nil && bytes.Contains(program, []byte(kernelStdio)) {
		return kernel
	}
	return host
}

// guessModuleCache is GOMODCACHE, else GOPATH's first entry/pkg/mod, else
// ~/go/pkg/mod, as go decides without a go env file.
func guessModuleCache(getenv func(string) string) string {
	if cache := getenv("GOMODCACHE"); cache != "" {
		return cache
	}
	if gopath := filepath.SplitList(getenv("GOPATH")); len(gopath) > 0 && gopath[0] != "" {
		return filepath.Join(gopath[0], "pkg", "mod")
	}
	return filepath.Join(getenv("HOME"), "go", "pkg", "mod")
}

// goCommand runs go with args and returns its output, "" if it fails.
func goCommand(args ...string) string {
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

// runtimeCommand is the command jsii-runtime-go runs through "$SHELL -c"
// in the Go process's group: "exec setsid <script> <runtime>", so that no
// process of the runtime stays in that group for the terminal's Ctrl-C to
// reach. The exec matters: without it dash stays behind as the runtime's
// parent, dies of Ctrl-C, and jsii reports an abnormal exit. The exec'd
// shell is never a group leader, so setsid needs no fork. Quoted paths read
// the same in sh, bash, zsh and fish, and so does exec.
func runtimeCommand(script, runtime string, lookPath func(string) (string, error)) string {
	command := "exec " + quote(script) + " " + quote(runtime)
	if _, err := lookPath("setsid"); err == nil {
		command = "exec setsid" + strings.TrimPrefix(command, "exec")
	}
	return command
}

func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// cacheRoot is <user cache folder>/aurora-stages, e.g. ~/.cache/aurora-stages.
func cacheRoot(getenv func(string) string) (string, error) {
	base := getenv("XDG_CACHE_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			return "", fmt.Errorf("neither XDG_CACHE_HOME nor HOME is set")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "aurora-stages"), nil
}

// Extract writes the start script and the preload under root once, in a
// folder named after their content, and returns that folder. Concurrent
// processes each write a private copy and rename it into place; the first
// rename wins and the others drop theirs.
func Extract(root string) (string, error) {
	digest := sha256.Sum256(append([]byte(startScript), preload...))
	dir := filepath.Join(root, "jsii-start-"+hex.EncodeToString(digest[:])[:12])
	if isFile(filepath.Join(dir, "start.sh")) {
		return dir, nil
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	staging, err := os.MkdirTemp(root, ".extract-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(staging)
	if err := os.WriteFile(filepath.Join(staging, "preload.js"), preload, 0o600); err != nil {
		return "", err
	}
	// Written last: its presence marks a complete folder.
	if err := os.WriteFile(filepath.Join(staging, "start.sh"), []byte(startScript), 0o700); err != nil {
		return "", err
	}
	if err := os.Rename(staging, dir); err != nil {
		if isFile(filepath.Join(dir, "start.sh")) {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}
