// Package suitecpu measures a command and every process under it, such as
// `make test`: its wall time, its CPU time (user and system, of the whole
// process tree), and, where the kernel's process accounting can be used
// (as root), that CPU split by the kind of process: terraform, the AWS
// provider plugin, the cdktf CLI's Node.js, jsii's, moto, the Go
// toolchain... Measured, not estimated: the total is the resource usage
// of every descendant the runner and its descendants waited for, and each
// kind the sum of the accounting records of its processes.
//
// A user who is not root gets the wall and CPU times, and the CPU of each
// test (package testcpu), without the split by kind.
package suitecpu

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Kind is the CPU of one kind of process.
type Kind struct {
	Name string
	// Starts counts the processes of the kind that exited during the run.
	Starts int
	// Seconds is their user and system time.
	Seconds float64
}

// Run is what a measured command used.
type Run struct {
	Command     string
	Start       time.Time
	WallSeconds float64
	// UserSeconds and SystemSeconds are the whole process tree's.
	UserSeconds, SystemSeconds float64
	// Kinds is the CPU split by kind of process, most first; empty when
	// the process accounting could not be used (KindsUnavailable says why).
	Kinds            []Kind
	KindsUnavailable string `json:",omitempty"`
	// LeftRunning names the processes still running under the command
	// once it exited (orphans the runner adopted): a test that leaves one
	// behind is a defect.
	LeftRunning []string `json:",omitempty"`
	ExitCode    int
}

// CPUSeconds is the run's user and system time.
func (r Run) CPUSeconds() float64 { return r.UserSeconds + r.SystemSeconds }

// prSetChildSubreaper is prctl's PR_SET_CHILD_SUBREAPER: orphans below
// the runner are adopted by it instead of init, so their CPU and their
// accounting records stay in its tree.
const prSetChildSubreaper = 36

// Measure runs the command with the runner's standard streams and
// environment plus env, and measures it. accountingFile is where the
// kernel writes the accounting records while the command runs (removed
// afterwards); the process accounting is the machine's, so it is used
// only when the runner may switch it on (root) and switched off after.
func Measure(args, env []string, accountingFile string) (Run, error) {
	run := Run{Command: strings.Join(args, " "), Start: time.Now()}
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return run, fmt.Errorf("prctl(PR_SET_CHILD_SUBREAPER): %v", errno)
	}
	accounting := startAccounting(accountingFile)
	if accounting != nil {
		run.KindsUnavailable = accounting.Error()
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(append(os.Environ(), env...), measuringVariable+"=1")
	// Ctrl-C reaches the whole process group, the command included; the
	// runner outlives it to report. (Not signal.Ignore: an ignored signal
	// stays ignored in the command it starts.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT)
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		run.ExitCode = exit.ExitCode()
	default:
		return run, err
	}
	run.LeftRunning = leftRunning()
	reapAdopted()
	run.WallSeconds = time.Since(run.Start).Seconds()

	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &usage); err != nil {
		return run, err
	}
	run.UserSeconds = seconds(usage.Utime)
	run.SystemSeconds = seconds(usage.Stime)

	if accounting == nil {
		_ = syscall.Acct("")
		records, err := readAccountingFile(accountingFile)
		if err != nil {
			run.KindsUnavailable = err.Error()
		} else {
			run.Kinds = byKind(inTree(records, uint32(os.Getpid())))
		}
	}
	return run, nil
}

// measuringVariable is set in a measured command's environment: the
// accounting is the machine's, one file at a time, so a run measured
// inside another (Measure's own test, in make test) leaves it to the outer.
const measuringVariable = "AURORA_SUITECPU_MEASURING"

// startAccounting switches the kernel's process accounting on into file,
// or says why it cannot.
func startAccounting(file string) error {
	if os.Getenv(measuringVariable) != "" {
		return errors.New("the split by kind of process is the enclosing measured run's (the kernel's process accounting keeps one file at a time)")
	}
	if os.Geteuid() != 0 {
		return errors.New("the split by kind of process needs the kernel's process accounting, which only root can switch on")
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		return err
	}
	if err := syscall.Acct(file); err != nil {
		os.Remove(file)
		return fmt.Errorf("switching the process accounting on: %v", err)
	}
	return nil
}

// leftRunning names the runner's children still running: orphans it
// adopted (the command itself has exited).
func leftRunning() []string {
	entries, _ := os.ReadDir("/proc")
	self := strconv.Itoa(os.Getpid())
	var names []string
	for _, entry := range entries {
		if _, err := strconv.Atoi(entry.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", entry.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		end := strings.LastIndexByte(string(stat), ')')
		start := strings.IndexByte(string(stat), '(')
		if start < 0 || end < start {
			continue
		}
		fields := strings.Fields(string(stat[end+1:]))
		if len(fields) > 1 && fields[1] == self && fields[0] != "Z" {
			names = append(names, fmt.Sprintf("%s (pid %s)", stat[start+1:end], entry.Name()))
		}
	}
	return names
}

// reapAdopted waits for the adopted children that have exited, so their
// CPU counts in the runner's.
func reapAdopted() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func seconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

// kinds names each kind of process by the command names (the first 15
// characters of the executable's name, which is what the accounting
// keeps) of its processes. The first that matches wins.
var kinds = []struct {
	name  string
	match func(comm string) bool
}{
	{"AWS provider plugin", prefix("terraform-provi")},
	{"terraform", is("terraform")},
	{"Node.js: jsii runtime (synthesis)", is("jsii-kernel")},
	// npm and the cdktf CLI are scripts that env runs with node.
	{"Node.js: cdktf CLI, npm", is("node")},
	{"moto (AWS emulator)", is("moto_server")},
	{"Checkov", is("checkov")},
	{"parliament", is("parliament")},
	{"Python: venvs and pip", is("pip", "pip3", "python", "python3")},
	{"Go: build, vet, gofmt", is("go", "compile", "link", "vet", "asm", "cgo", "gofmt", "buildid", "cover")},
	{"Go: test binaries", func(comm string) bool { return strings.HasSuffix(comm, ".test") }},
	{"Go: the project's commands", func(comm string) bool { return slices.Contains(projectCommands(), comm) }},
	{"gotestsum", is("gotestsum")},
}

// otherKind is every process no kind names: shells, make, git, ps...
const otherKind = "other (sh, make, git...)"

func is(names ...string) func(string) bool {
	return func(comm string) bool { return slices.Contains(names, comm) }
}

func prefix(p string) func(string) bool {
	return func(comm string) bool { return strings.HasPrefix(comm, p) }
}

// projectCommands are the names the project's binaries run under: the app
// and each command under cmd/, as go build and go run name them.
func projectCommands() []string {
	names := []string{"aurora-stages"}
	entries, _ := os.ReadDir("cmd")
	for _, entry := range entries {
		if entry.IsDir() {
			names = append(names, truncateComm(entry.Name()))
		}
	}
	return names
}

func truncateComm(name string) string {
	if len(name) > 15 {
		return name[:15]
	}
	return name
}

// byKind sums the records by kind, most CPU first.
func byKind(records []record) []Kind {
	sums := map[string]*Kind{}
	for _, r := range records {
		name := otherKind
		for _, k := range kinds {
			if k.match(r.comm) {
				name = k.name
				break
			}
		}
		if sums[name] == nil {
			sums[name] = &Kind{Name: name}
		}
		sums[name].Starts++
		sums[name].Seconds += r.cpu
	}
	var list []Kind
	for _, k := range sums {
		list = append(list, *k)
	}
	slices.SortFunc(list, func(a, b Kind) int {
		if a.Seconds != b.Seconds {
			if a.Seconds > b.Seconds {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return list
}
