// Command test-report measures `make test` and prints what it cost: the
// ten slowest tests, the ten that used the most CPU, the run's wall and
// CPU time, and that CPU by kind of process (internal/suitecpu), then the
// counts of passed, failed and skipped tests.
//
//	go run ./cmd/test-report run -- make test-run   run and measure, then report
//	go run ./cmd/test-report                        report the last measured run again
//
// The run's figures are kept in .local/ (test-run.json, test-cpu/, and
// go test's events in test-report.json, which gotestsum writes). Exit
// status: the command's, for run; 0 for a report, 1 if nothing was saved.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"aurora-stages/internal/cli"
	"aurora-stages/internal/suitecpu"
	"aurora-stages/internal/testcpu"
)

const about = "test-report measures make test and prints its slowest tests, its costliest, its wall and CPU time and that CPU by kind of process."

const synopsis = `usage: go run ./cmd/test-report [--dir .local] run -- <command> [args...]
usage: go run ./cmd/test-report [--dir .local]`

var command = cli.Command{Name: "test-report", About: about, Synopsis: synopsis}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	flags := command.Flags()
	dir := flags.String("dir", ".local", "the `folder` that keeps the run's figures")
	if code, done := command.Parse(flags, args, stdout, stderr, func() error {
		rest := flags.Args()
		switch {
		case len(rest) == 0:
			return nil
		case rest[0] != "run":
			return fmt.Errorf("unknown argument %q", rest[0])
		case len(rest) < 3 || rest[1] != "--":
			return errors.New("run: name the command to measure after --")
		}
		return nil
	}); done {
		return code
	}
	files := reportFiles{dir: *dir}
	if rest := flags.Args(); len(rest) > 0 {
		return measure(files, rest[2:], stdout, stderr)
	}
	if err := report(files, stdout); err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		return 1
	}
	return 0
}

// reportFiles are where a run's figures are kept.
type reportFiles struct{ dir string }

func (f reportFiles) run() string        { return filepath.Join(f.dir, "test-run.json") }
func (f reportFiles) perTest() string    { return filepath.Join(f.dir, "test-cpu") }
func (f reportFiles) events() string     { return filepath.Join(f.dir, "test-report.json") }
func (f reportFiles) accounting() string { return filepath.Join(f.dir, "test-run.pacct") }

// measure runs the command with the per-test ledger's folder set, keeps
// the run's figures and prints the report.
func measure(files reportFiles, args []string, stdout, stderr io.Writer) int {
	if err := os.RemoveAll(files.perTest()); err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		return 1
	}
	if err := os.MkdirAll(files.perTest(), 0o755); err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		return 1
	}
	os.Remove(files.events())
	absolute, err := filepath.Abs(files.perTest())
	if err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		return 1
	}
	measured, err := suitecpu.Measure(args, []string{testcpu.DirVariable + "=" + absolute}, files.accounting())
	if err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		return 1
	}
	data, err := json.MarshalIndent(measured, "", "  ")
	if err == nil {
		err = os.WriteFile(files.run(), data, 0o644)
	}
	if err == nil {
		err = report(files, stdout)
	}
	if err != nil {
		fmt.Fprintln(stderr, "test-report:", err)
		if measured.ExitCode == 0 {
			return 1
		}
	}
	return measured.ExitCode
}

func report(files reportFiles, stdout io.Writer) error {
	data, err := os.ReadFile(files.run())
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no measured run in %s: run make test first", files.dir)
	} else if err != nil {
		return err
	}
	var measured suitecpu.Run
	if err := json.Unmarshal(data, &measured); err != nil {
		return fmt.Errorf("%s: %w", files.run(), err)
	}
	events, err := readEvents(files.events())
	if err != nil {
		return err
	}
	perTest, err := testcpu.Read(files.perTest())
	if err != nil {
		return err
	}
	printReport(stdout, measured, events, perTest)
	return nil
}

func printReport(w io.Writer, measured suitecpu.Run, events testEvents, perTest map[string]float64) {
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The ten slowest tests (wall):")
	for _, t := range top(events.elapsed, 10) {
		fmt.Fprintf(w, "  %8.1f s  %s\n", t.value, t.name)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The ten tests whose processes used the most CPU (terraform, its provider, cdktf, moto, the commands they ran):")
	for _, t := range top(perTest, 10) {
		fmt.Fprintf(w, "  %8.1f CPU-s  %8.1f s wall  %s\n", t.value, events.elapsed[t.name], t.name)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: %s wall, %.0f CPU-seconds (user %.0f, sys %.0f) on %s\n",
		measured.Command, minutes(measured.WallSeconds), measured.CPUSeconds(), measured.UserSeconds, measured.SystemSeconds, measured.Start.Format("2006-01-02 15:04 MST"))
	fmt.Fprintln(w, "Budget on a clean clone of this project's 2-core machine: 600 CPU-seconds, 8 minutes with warm caches (docs/development.md).")
	if len(measured.Kinds) == 0 {
		fmt.Fprintln(w, "CPU by kind of process: not measured:", measured.KindsUnavailable)
	} else {
		fmt.Fprintln(w, "CPU by kind of process (the kernel's process accounting):")
		fmt.Fprintf(w, "  %-40s %9s %8s %6s\n", "kind", "processes", "CPU-s", "share")
		total, accounted := measured.CPUSeconds(), 0.0
		for _, k := range measured.Kinds {
			accounted += k.Seconds
			fmt.Fprintf(w, "  %-40s %9d %8.1f %5.0f%%\n", k.Name, k.Starts, k.Seconds, 100*k.Seconds/total)
		}
		// The accounting keeps each process's CPU in 10 ms ticks, rounded
		// down: short processes (a compiler run, a shell) lose a little.
		if rest := total - accounted; rest > 0 {
			fmt.Fprintf(w, "  %-40s %9s %8.1f %5.0f%%\n", "not accounted (each process rounds down)", "", rest, 100*rest/total)
		}
	}
	if len(measured.LeftRunning) > 0 {
		fmt.Fprintf(w, "Left running after the run: %s\n", strings.Join(measured.LeftRunning, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "tests: %d passed, %d failed, %d skipped\n", events.passed, events.failed, events.skipped)
}

func minutes(seconds float64) string {
	return fmt.Sprintf("%dm%02ds", int(seconds)/60, int(seconds)%60)
}
