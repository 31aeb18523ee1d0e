// Package jsiiruntime prepares the Node.js processes that jsii starts for
// the CDKTF bindings, before the first jsii call:
//
//   - the runtime script lives at a stable path in the user's cache folder,
//     extracted once, instead of a fresh jsii-runtime.* folder in the temp
//     directory on every run (which stays behind when the run is killed);
//   - the AWS provider's submodules load on first use instead of all at
//     once (preload.js): a synthesis takes a quarter of the time and 40%
//     of the memory it took;
//   - the runtime runs in a session of its own, so Ctrl-C in a terminal
//     reaches the Go process alone, which stops the runtime through jsii's
//     own exit request: the runtime then removes its temporary folder.
//
// A user who sets JSII_RUNTIME keeps theirs, and jsii's defaults with it.
package jsiiruntime

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/aws/jsii-runtime-go"
)

// Version is the jsii-runtime-go release the files under runtime/ were
// copied from (its internal/embedded/resources, without source maps). A
// test checks that go.mod requires the same release and that the files are
// identical: after upgrading jsii-runtime-go, copy them again.
const Version = "1.142.0"

//go:embed runtime preload.js
var files embed.FS

// startScript starts the runtime as jsii-runtime-go would, with the lazy
// index preloaded (the runtime passes node's flags on to the child it
// starts). runtimeCommand starts it in a session of its own; where there is
// no setsid (macOS), ignoring SIGINT here does most of that.
const startScript = `#!/bin/sh
# Started by jsii-runtime-go through JSII_RUNTIME (internal/jsiiruntime).
# Ctrl-C is left to the Go process, which stops this runtime cleanly.
trap '' INT
dir=$(dirname "$0")
exec "${JSII_NODE:-node}" --require "$dir/preload.js" "$dir/runtime/bin/jsii-runtime.js"
`

var interrupted atomic.Bool

// Setup prepares the environment the runtime inherits and takes over
// Ctrl-C and SIGTERM. Call it first in main, and Exit last. If the cache
// folder cannot be written, jsii's defaults apply and a warning says why.
func Setup() {
	if err := configure(os.Getenv, os.Setenv, exec.LookPath); err != nil {
		fmt.Fprintf(os.Stderr, "warning: jsii's runtime starts from the temp directory: %v\n", err)
	}
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

func configure(getenv func(string) string, setenv func(string, string) error, lookPath func(string) (string, error)) error {
	if getenv("JSII_RUNTIME") != "" {
		return nil
	}
	root, err := cacheRoot(getenv)
	if err != nil {
		return err
	}
	dir, err := Extract(root)
	if err != nil {
		return err
	}
	return setenv("JSII_RUNTIME", runtimeCommand(filepath.Join(dir, "start.sh"), lookPath))
}

// runtimeCommand is the command jsii-runtime-go runs through "$SHELL -c"
// in the Go process's group: "exec setsid <script>", so that no process of
// the runtime stays in that group for the terminal's Ctrl-C to reach. The
// exec matters: without it dash stays behind as the runtime's parent, dies
// of Ctrl-C, and jsii reports an abnormal exit. The exec'd shell is never a
// group leader, so setsid needs no fork. A quoted path reads the same in
// sh, bash, zsh and fish, and so does exec.
func runtimeCommand(script string, lookPath func(string) (string, error)) string {
	command := "exec '" + strings.ReplaceAll(script, "'", `'\''`) + "'"
	if _, err := lookPath("setsid"); err == nil {
		command = "exec setsid" + strings.TrimPrefix(command, "exec")
	}
	return command
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

// Extract writes the runtime and its start script under root once, in a
// folder named after the content, and returns that folder. Concurrent
// processes each write a private copy and rename it into place; the first
// rename wins and the others drop theirs.
func Extract(root string) (string, error) {
	digest, err := contentDigest()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "jsii-runtime-"+Version+"-"+digest)
	if _, err := os.Stat(filepath.Join(dir, "start.sh")); err == nil {
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
	err = fs.WalkDir(files, ".", func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(staging, path)
		if entry.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		data, err := files.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o600)
	})
	if err != nil {
		return "", err
	}
	// Written last: its presence marks a complete folder.
	if err := os.WriteFile(filepath.Join(staging, "start.sh"), []byte(startScript), 0o700); err != nil {
		return "", err
	}
	if err := os.Rename(staging, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "start.sh")); statErr == nil {
			return dir, nil
		}
		return "", err
	}
	return dir, nil
}

func contentDigest() (string, error) {
	hash := sha256.New()
	hash.Write([]byte(startScript))
	err := fs.WalkDir(files, ".", func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		data, err := files.ReadFile(path)
		hash.Write([]byte(path))
		hash.Write(data)
		return err
	})
	return hex.EncodeToString(hash.Sum(nil))[:12], err
}
