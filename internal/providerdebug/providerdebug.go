// Package providerdebug runs a Terraform provider plugin once, in its debug
// mode, for several terraform commands to use in turn.
//
// Every terraform command that loads the AWS provider starts the plugin,
// which initializes every AWS service package and builds its schema before
// it answers: about 2.4 CPU-seconds and a second of wall time, most of what
// a `terraform validate` or a plan of a stage costs. Started with -debug,
// the plugin prints a TF_REATTACH_PROVIDERS value and keeps serving;
// terraform given that variable uses the running plugin instead of
// starting one (and installs nothing for it in `terraform init`, nor
// writes it in the lock file). The plugin keeps one provider configuration
// at a time, the last command's: commands that configure it differently
// (another stage's region, role or tags) must not run at once. With
// AWS_CA_BUNDLE set, the AWS provider (5.100.0) fails every configuration
// after its first ("unable to add custom RootCAs HTTPClient"): then only
// one command that configures it (a plan, an apply; not a show) may use a
// plugin.
package providerdebug

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// reattachVariable is the variable terraform reads the running plugins from.
const reattachVariable = "TF_REATTACH_PROVIDERS"

// Plugin is a provider plugin running in its debug mode.
type Plugin struct {
	cmd      *exec.Cmd
	reattach string
	exited   chan struct{}
}

// Start starts the plugin binary in its debug mode with the given
// environment (the one terraform would have given it: the plugin, not
// terraform, reads the AWS credential variables), and returns once it
// serves. What it logs is dropped (quiet: off unless env asks for it).
func Start(binary string, env []string) (*Plugin, error) {
	cmd := exec.Command(binary, "-debug")
	cmd.Env = quiet(env)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the provider plugin %s: %w", binary, err)
	}
	p := &Plugin{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		// The value is printed as TF_REATTACH_PROVIDERS='{...}' on a line
		// of its own; the rest is read and dropped, so the plugin never
		// blocks on a full pipe.
		lines := bufio.NewScanner(stdout)
		lines.Buffer(make([]byte, 64*1024), 1024*1024)
		for lines.Scan() {
			line := strings.TrimSpace(lines.Text())
			if value, ok := strings.CutPrefix(line, reattachVariable+"='"); ok {
				found <- strings.TrimSuffix(value, "'")
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(p.exited)
	}()
	select {
	case p.reattach = <-found:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("the provider plugin %s exited before serving: %v", binary, cmd.ProcessState)
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-p.exited
		return nil, fmt.Errorf("the provider plugin %s printed no %s within a minute", binary, reattachVariable)
	}
}

// logLevelVariables are the log levels of the plugin and its SDK's parts.
// terraform leaves a plugin's logs off unless TF_LOG asks for them; in its
// debug mode the plugin logs at trace level unless told: some 3 MB of JSON
// for a plan and a show, formatted whether or not anyone reads them.
var logLevelVariables = []string{"TF_LOG", "TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_MUX", "TF_LOG_SDK_HELPER_SCHEMA", "TF_LOG_SDK_FRAMEWORK"}

// quiet turns the plugin's logs off, as terraform runs it, except those
// env sets a level for. A nil env is the process's own, as for exec.
func quiet(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	quieted := slices.Clone(env)
	for _, name := range logLevelVariables {
		if !slices.ContainsFunc(env, func(v string) bool { return strings.HasPrefix(v, name+"=") }) {
			quieted = append(quieted, name+"=off")
		}
	}
	return quieted
}

// Env is the variable that points terraform at the running plugin,
// NAME=value, for a command's environment.
func (p *Plugin) Env() string { return reattachVariable + "=" + p.reattach }

// Stop ends the plugin and returns its process state (its CPU time is in
// it). It stops on an interrupt; a plugin still running after ten seconds
// is killed.
func (p *Plugin) Stop() *os.ProcessState {
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	return p.cmd.ProcessState
}

// Binary finds the AWS provider's plugin binary under dir, laid out as
// terraform lays out a plugin cache (TF_PLUGIN_CACHE_DIR), a filesystem
// mirror or an initialized folder's .terraform/providers, where the
// platform's folder may be a link to the cache or the mirror.
func Binary(dir string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws_*"))
	if err != nil {
		return "", err
	}
	if len(matches) != 1 {
		return "", fmt.Errorf("want one AWS provider plugin under %s, found %d: %q", dir, len(matches), matches)
	}
	return filepath.EvalSymlinks(matches[0])
}
