// Command bench-synth measures a synthesis of every stack the way users and
// make run it: the built app binary, `go run .` and `npx cdktf synth`. Each
// runs N times into a throw-away output folder; it prints the min, median
// and max wall time and the peak memory of the whole process tree (the sum
// of the resident set sizes of every process under the command, Node.js
// children included, sampled every 10 ms), then where one run of the binary
// spends its time (AURORA_STAGES_TIMINGS=1).
//
//	go run ./cmd/bench-synth [-n 10] [-only binary,go-run,cdktf]
//
// Run it from the project folder, with nothing else busy: `make bench`.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

type variant struct {
	name    string
	command []string
}

type sample struct {
	wall    time.Duration
	peakRSS int64 // bytes
	stderr  string
}

func main() {
	runs := flag.Int("n", 10, "runs per command")
	only := flag.String("only", "binary,go-run,cdktf", "comma-separated commands to measure: binary, go-run, cdktf")
	flag.Parse()
	if err := run(*runs, strings.Split(*only, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bench-synth:", err)
		os.Exit(1)
	}
}

func run(runs int, only []string) error {
	if runs < 1 {
		return fmt.Errorf("-n %d: must be at least 1 run", runs)
	}
	binDir, err := os.MkdirTemp("", "aurora-stages-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(binDir)
	binary := filepath.Join(binDir, "aurora-stages")
	variants := []variant{
		{"binary", []string{binary}},
		{"go-run", []string{"go", "run", "."}},
		{"cdktf", []string{"npx", "cdktf", "synth"}},
	}
	for _, name := range only {
		if !slices.ContainsFunc(variants, func(v variant) bool { return v.name == name }) {
			return fmt.Errorf("-only %q: unknown command; allowed: binary, go-run, cdktf", name)
		}
	}
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}

	fmt.Printf("machine: %d cores, %s, %s; node %s\n", runtime.NumCPU(), memTotal(), kernel(), nodeVersion())
	fmt.Printf("all stacks of cdktf.json, %d runs each (the first run of each command is included)\n\n", runs)
	fmt.Printf("%-8s %8s %8s %8s   %s\n", "command", "min", "median", "max", "peak memory of the process tree (min / median / max)")
	for _, v := range variants {
		if !slices.Contains(only, v.name) {
			continue
		}
		var samples []sample
		for i := 0; i < runs; i++ {
			s, err := measure(v.command)
			if err != nil {
				return fmt.Errorf("%s: %w", strings.Join(v.command, " "), err)
			}
			samples = append(samples, s)
		}
		walls := make([]time.Duration, len(samples))
		peaks := make([]int64, len(samples))
		for i, s := range samples {
			walls[i], peaks[i] = s.wall, s.peakRSS
		}
		slices.Sort(walls)
		slices.Sort(peaks)
		fmt.Printf("%-8s %7.2fs %7.2fs %7.2fs   %s / %s / %s\n", v.name,
			walls[0].Seconds(), median(walls).Seconds(), walls[len(walls)-1].Seconds(),
			megabytes(peaks[0]), megabytes(median(peaks)), megabytes(peaks[len(peaks)-1]))
	}
	if slices.Contains(only, "binary") {
		breakdown, err := timings(binary)
		if err != nil {
			return err
		}
		fmt.Printf("\nwhere one run of the binary spends its time:\n%s", breakdown)
	}
	return nil
}

// measure runs command once with its own output folder (and env added to
// its environment), and samples the memory of its process tree until it
// exits.
func measure(command []string, env ...string) (sample, error) {
	outdir, err := os.MkdirTemp("", "aurora-stages-bench-out-")
	if err != nil {
		return sample{}, err
	}
	defer os.RemoveAll(outdir)
	args := command[1:]
	if command[0] == "npx" {
		args = append(slices.Clone(args), "--output", outdir)
	}
	cmd := exec.Command(command[0], args...)
	// The app writes where cdktf tells it to: cdktf's App reads CDKTF_OUTDIR.
	cmd.Env = append(append(os.Environ(), "CDKTF_OUTDIR="+outdir), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return sample{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak int64
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case err := <-done:
			wall := time.Since(start)
			if err != nil {
				return sample{}, fmt.Errorf("%v\n%s", err, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(outdir, "manifest.json")); err != nil {
				return sample{}, fmt.Errorf("no manifest.json in the output folder: %v", err)
			}
			return sample{wall: wall, peakRSS: peak, stderr: stderr.String()}, nil
		case <-ticker.C:
			if rss := treeRSS(cmd.Process.Pid); rss > peak {
				peak = rss
			}
		}
	}
}

// treeRSS sums the resident set size of pid and all its descendants.
func treeRSS(pid int) int64 {
	var total int64
	pending := []int{pid}
	for len(pending) > 0 {
		p := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		if statm, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", p)); err == nil {
			if fields := strings.Fields(string(statm)); len(fields) > 1 {
				pages, _ := strconv.ParseInt(fields[1], 10, 64)
				total += pages * int64(os.Getpagesize())
			}
		}
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p))
		for _, task := range tasks {
			children, _ := os.ReadFile(task)
			for _, child := range strings.Fields(string(children)) {
				if c, err := strconv.Atoi(child); err == nil {
					pending = append(pending, c)
				}
			}
		}
	}
	return total
}

// timings runs the binary once with the app's phase timings on.
func timings(binary string) (string, error) {
	run, err := measure([]string{binary}, "AURORA_STAGES_TIMINGS=1")
	if err != nil {
		return "", err
	}
	var lines strings.Builder
	scanner := bufio.NewScanner(strings.NewReader(run.stderr))
	for scanner.Scan() {
		if line, ok := strings.CutPrefix(scanner.Text(), "timing: "); ok {
			lines.WriteString("  " + line + "\n")
		}
	}
	return lines.String(), nil
}

func median[T int64 | time.Duration](sorted []T) T {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func megabytes(bytes int64) string {
	return fmt.Sprintf("%d MB", bytes/1_000_000)
}

func memTotal() string {
	data, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return fmt.Sprintf("%d GiB", kb>>20)
		}
	}
	return "? GiB"
}

func kernel() string {
	out, _ := exec.Command("uname", "-sr").Output()
	return strings.TrimSpace(string(out))
}

func nodeVersion() string {
	node := os.Getenv("JSII_NODE")
	if node == "" {
		node = "node"
	}
	out, _ := exec.Command(node, "--version").Output()
	return strings.TrimSpace(string(out))
}
