package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every command under cmd/, found by listing the folder so that a new one
// cannot skip this test, follows one convention for its command line (as
// Go's tools and most CLIs do):
//
//   - -h or --help, asked for, is answered on stdout with exit 0: a first
//     line that says what the command does ("<name> does this."), then the
//     usage: a line "usage: go run ./cmd/<name> ..." followed by its flags
//     as flag.PrintDefaults writes them (a command with subcommands has a
//     usage line for each, each followed by its flags).
//   - A command line it does not take is a usage error: exit 2, nothing on
//     stdout, and on stderr a line "<name>...: " saying what is wrong, then
//     the same usage as the help's.
func TestCommandLineHelpAndUsageErrors(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(repoRootPath, "cmd"))
	if err != nil {
		t.Fatal(err)
	}
	var commands []string
	for _, entry := range entries {
		if entry.IsDir() {
			commands = append(commands, entry.Name())
		}
	}
	if len(commands) == 0 {
		t.Fatal("no command under cmd/")
	}
	for _, name := range commands {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			binary := goBinary(t, "./cmd/"+name)
			usageLine := "usage: go run ./cmd/" + name + " "
			flagLine := regexp.MustCompile(`^  -[a-z][a-z-]*( .+)?$`)
			var usage string
			for _, help := range []string{"-h", "--help"} {
				code, stdout, stderr := runCommandLine(t, binary, help)
				about, rest, _ := strings.Cut(stdout, "\n")
				if code != 0 || stderr != "" {
					t.Errorf("%s %s: exit %d, stderr %q; want exit 0 and the help on stdout alone", name, help, code, stderr)
				}
				if !strings.HasPrefix(about, name+" ") || !strings.HasSuffix(about, ".") {
					t.Errorf("%s %s: first line %q; want a sentence saying what it does, starting with %q", name, help, about, name+" ")
				}
				lines := strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
				if !strings.HasPrefix(lines[0], usageLine) || !slices.ContainsFunc(lines, flagLine.MatchString) {
					t.Errorf("%s %s: want the usage line %q... then the flags after the first line:\n%s", name, help, usageLine, stdout)
				}
				for _, line := range lines {
					if !strings.HasPrefix(line, usageLine) && !flagLine.MatchString(line) && !strings.HasPrefix(line, "    \t") {
						t.Errorf("%s %s: line %q is neither a usage line nor a flag's", name, help, line)
					}
				}
				usage = rest
			}

			code, stdout, stderr := runCommandLine(t, binary, "--no-such-flag")
			problem, rest, _ := strings.Cut(stderr, "\n")
			if code != 2 || stdout != "" || !strings.HasPrefix(problem, name) || !strings.Contains(problem, "-no-such-flag") || rest != usage {
				t.Errorf("%s --no-such-flag: exit %d, stdout %q, stderr:\n%s\nwant exit 2, a line naming the flag, then the usage:\n%s", name, code, stdout, stderr, usage)
			}
		})
	}
}

// runCommandLine runs a command built by goBinary in the repository's top
// folder.
func runCommandLine(t *testing.T, binary string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = repoRootPath
	return runCommand(t, cmd)
}
