// Command bench-synth measures a synthesis the way users and make run it,
// at 3 stacks (bootstrap, dev, production) and at 41 (and s2..s39, stages
// of the dev profile), against a yardstick: bench/anchor, a plain
// JavaScript CDKTF app that builds the same dev stage on the same cdktf,
// provider and Node.js, without jsii between them. Every `cdktf diff` and
// `cdktf deploy` synthesizes every stage, so what matters as stages are
// added is the cost of one more stack: (median at 41 - median at 3) / 38.
//
// Each command runs N times into a throw-away output folder, once a round,
// so that load that comes and goes on the machine falls on all alike. It
// prints the min, median and max wall time and the peak memory of the whole
// process tree (the sum of the resident set sizes of every process under
// the command, Node.js children and terraform included, sampled every 10
// ms), the cost per extra stack of each command and the Go app's against
// the anchor's, then where one run of the binary spends its time
// (AURORA_STAGES_TIMINGS=1). The anchor runs twice: as a JavaScript user
// runs it, and with the preload the Go app's runtime gets
// (internal/jsiiruntime/preload.js), which runs cdktf's `terraform version`
// check once per process instead of once per stack; the second is the
// fair yardstick of the Go app. `go run .` and `npx cdktf synth` run at 3
// stacks only, in the project folder.
//
//	go run ./cmd/bench-synth [-n 10] [-only binary,anchor,go-run,cdktf] [-before <binary>]
//
// -before adds another build of the app (an older commit's) to the same
// run. Run it from the project folder, with nothing else busy: `make bench`.
//
// Exit status: 0 measured (or the help, -h), 1 an error, 2 a command line
// it does not take, said with the usage.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"aurora-stages/internal/cli"
)

// The two sizes measured: the stacks of the repository's cdktf.json, and
// enough stages for the cost of one more to stand out of the noise.
const (
	fewStacks  = 3
	manyStacks = 41
)

// variant is one command measured; it is given the number of stacks.
type variant struct {
	name string
	// sizes are the numbers of stacks it runs at.
	sizes []int
	// command is what runs for a number of stacks, in dir.
	command func(stacks int) (argv []string, dir string)
	// note is printed under the table.
	note string
}

type sample struct {
	wall    time.Duration
	peakRSS int64 // bytes
	stderr  string
}

type result struct {
	walls, peaks []int64
}

// about is the first line of the help: what the command does.
const about = "bench-synth measures the app's synthesis at 3 and at 41 stacks (wall time, peak memory, cost per extra stack) against a plain JavaScript CDKTF app."

// synopsis is the command line it takes; the help and every usage error
// print it, then the flags.
const synopsis = "usage: go run ./cmd/bench-synth [-n 10] [-only binary,anchor,go-run,cdktf] [-before <binary>]"

var command = cli.Command{Name: "bench-synth", About: about, Synopsis: synopsis}

func main() {
	flags := command.Flags()
	runs := flags.Int("n", 10, "runs per command and size")
	only := flags.String("only", "binary,anchor,go-run,cdktf", "comma-separated commands to measure: binary, anchor, go-run, cdktf")
	before := flags.String("before", "", "another build of the app to measure in the same run, e.g. one of an older commit")
	if code, done := command.Parse(flags, os.Args[1:], os.Stdout, os.Stderr, cli.NoArguments(flags)); done {
		os.Exit(code)
	}
	if err := run(*runs, strings.Split(*only, ","), *before); err != nil {
		fmt.Fprintln(os.Stderr, "bench-synth:", err)
		os.Exit(1)
	}
}

func run(runs int, only []string, before string) error {
	if runs < 1 {
		return fmt.Errorf("-n %d: must be at least 1 run", runs)
	}
	for _, name := range only {
		if !slices.Contains([]string{"binary", "anchor", "go-run", "cdktf"}, name) {
			return fmt.Errorf("-only %q: unknown command; allowed: binary, anchor, go-run, cdktf", name)
		}
	}
	project, err := os.Getwd()
	if err != nil {
		return err
	}
	node := projectNode(project)
	work, err := os.MkdirTemp("", "aurora-stages-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	binary := filepath.Join(work, "aurora-stages")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	// A project folder per size: the repository's cdktf.json with the
	// stages replaced.
	folders := map[int]string{}
	for _, stacks := range []int{fewStacks, manyStacks} {
		folders[stacks] = filepath.Join(work, strconv.Itoa(stacks)+"-stacks")
		if err := writeProject(filepath.Join(project, "cdktf.json"), folders[stacks], stacks); err != nil {
			return err
		}
	}
	anchor := filepath.Join(project, "bench", "anchor", "main.js")
	preload := filepath.Join(project, "internal", "jsiiruntime", "preload.js")
	both := []int{fewStacks, manyStacks}
	var variants []variant
	app := func(name, path string) variant {
		return variant{name: name, sizes: both, command: func(stacks int) ([]string, string) {
			return []string{path}, folders[stacks]
		}}
	}
	if slices.Contains(only, "binary") {
		variants = append(variants, app("binary", binary))
	}
	if before != "" {
		variants = append(variants, app("before", before))
	}
	if slices.Contains(only, "anchor") {
		variants = append(variants,
			variant{name: "anchor", sizes: both, command: func(stacks int) ([]string, string) {
				return []string{node, anchor, strconv.Itoa(stacks)}, filepath.Dir(anchor)
			}, note: "anchor: bench/anchor, dev-profile stages only, as a JavaScript user runs it (cdktf runs `terraform version` once per stack)"},
			variant{name: "anchor-preload", sizes: both, command: func(stacks int) ([]string, string) {
				return []string{node, "--require", preload, anchor, strconv.Itoa(stacks)}, filepath.Dir(anchor)
			}, note: "anchor-preload: the same with the Go app's preload (`terraform version` once per process): the yardstick"})
	}
	if slices.Contains(only, "go-run") {
		variants = append(variants, variant{name: "go-run", sizes: []int{fewStacks}, command: func(int) ([]string, string) {
			return []string{"go", "run", "."}, project
		}, note: "go-run, cdktf: in the project folder, all stacks of its cdktf.json"})
	}
	if slices.Contains(only, "cdktf") {
		variants = append(variants, variant{name: "cdktf", sizes: []int{fewStacks}, command: func(int) ([]string, string) {
			return []string{"npx", "cdktf", "synth"}, project
		}})
	}
	if slices.Contains(only, "binary") && slices.Contains(only, "anchor") {
		if err := checkAnchor(binary, node, anchor, folders[manyStacks]); err != nil {
			return err
		}
	}

	fmt.Printf("machine: %d cores, %s, %s; node %s; load average %s\n", runtime.NumCPU(), memTotal(), kernel(), nodeVersion(node), loadAverage())
	fmt.Printf("%d stacks: bootstrap, dev, production; %d: and s2..s39. %d rounds, each command and size once a round (the first included)\n\n", fewStacks, manyStacks, runs)
	fmt.Printf("%-15s %6s %8s %8s %8s   %s\n", "command", "stacks", "min", "median", "max", "peak memory of the process tree (min / median / max)")
	// Round by round, each command and size once per round: load that comes
	// and goes on the machine then falls on all of them alike.
	results := map[string]map[int]*result{}
	for _, v := range variants {
		results[v.name] = map[int]*result{}
		for _, stacks := range v.sizes {
			results[v.name][stacks] = &result{}
		}
	}
	for i := 0; i < runs; i++ {
		for _, v := range variants {
			for _, stacks := range v.sizes {
				argv, dir := v.command(stacks)
				s, err := measure(argv, dir, "JSII_NODE="+node)
				if err != nil {
					return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
				}
				r := results[v.name][stacks]
				r.walls = append(r.walls, int64(s.wall))
				r.peaks = append(r.peaks, s.peakRSS)
			}
		}
	}
	for _, v := range variants {
		for _, stacks := range v.sizes {
			r := results[v.name][stacks]
			slices.Sort(r.walls)
			slices.Sort(r.peaks)
			fmt.Printf("%-15s %6d %7.2fs %7.2fs %7.2fs   %s / %s / %s\n", v.name, stacks,
				seconds(r.walls[0]), seconds(median(r.walls)), seconds(r.walls[len(r.walls)-1]),
				megabytes(r.peaks[0]), megabytes(median(r.peaks)), megabytes(r.peaks[len(r.peaks)-1]))
		}
	}
	fmt.Printf("load average at the end: %s\n", loadAverage())
	for _, v := range variants {
		if v.note != "" {
			fmt.Println(v.note)
		}
	}

	perStack := map[string]float64{}
	fmt.Printf("\ncost of one more stack, (median at %d - median at %d) / %d:\n", manyStacks, fewStacks, manyStacks-fewStacks)
	for _, v := range variants {
		if len(v.sizes) < 2 {
			continue
		}
		few, many := results[v.name][fewStacks], results[v.name][manyStacks]
		perStack[v.name] = seconds(median(many.walls)-median(few.walls)) * 1000 / (manyStacks - fewStacks)
		fmt.Printf("  %-15s %6.1f ms\n", v.name, perStack[v.name])
	}
	for _, app := range []string{"before", "binary"} {
		for _, yardstick := range []string{"anchor", "anchor-preload"} {
			if perStack[app] != 0 && perStack[yardstick] != 0 {
				fmt.Printf("  %s / %s: %.1fx\n", app, yardstick, perStack[app]/perStack[yardstick])
			}
		}
	}

	if slices.Contains(only, "binary") {
		for _, stacks := range []int{fewStacks, manyStacks} {
			breakdown, err := timings(binary, folders[stacks], node)
			if err != nil {
				return err
			}
			fmt.Printf("\nwhere one run of the binary spends its time, %d stacks:\n%s", stacks, breakdown)
		}
	}
	return nil
}

// projectNode is the project's Node.js 22 (package.json), the one the app
// finds itself, else JSII_NODE, else the one on PATH.
func projectNode(project string) string {
	if node := filepath.Join(project, "node_modules", ".bin", "node"); isFile(node) {
		return node
	}
	if node := os.Getenv("JSII_NODE"); node != "" {
		return node
	}
	return "node"
}

// writeProject writes folder/cdktf.json: the project's, with the stages
// dev, production, and s2, s3... up to the number of stacks (bootstrap is
// one of them).
func writeProject(cdktfJSON, folder string, stacks int) error {
	data, err := os.ReadFile(cdktfJSON)
	if err != nil {
		return err
	}
	var config map[string]any
	if err := json.Unmarshal(data, &config); err != nil {
		return fmt.Errorf("%s: %v", cdktfJSON, err)
	}
	context, _ := config["context"].(map[string]any)
	if context == nil {
		return fmt.Errorf("%s: no context", cdktfJSON)
	}
	stages := map[string]any{"dev": map[string]any{}, "production": map[string]any{}}
	for i := 2; len(stages) < stacks-1; i++ {
		stages["s"+strconv.Itoa(i)] = map[string]any{}
	}
	context["stages"] = stages
	if data, err = json.MarshalIndent(config, "", "  "); err != nil {
		return err
	}
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(folder, "cdktf.json"), data, 0o644)
}

// checkAnchor synthesizes with the app and the anchor once, and fails
// unless the anchor's stacks dev and s2 are byte for byte the app's: a
// yardstick that builds less would flatter it.
func checkAnchor(binary, node, anchor, folder string) error {
	app, err := os.MkdirTemp("", "aurora-stages-bench-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(app)
	js := filepath.Join(app, "anchor")
	for _, c := range []struct {
		argv      []string
		dir, into string
	}{
		{[]string{binary}, folder, filepath.Join(app, "app")},
		{[]string{node, anchor, "3"}, filepath.Dir(anchor), js},
	} {
		cmd := exec.Command(c.argv[0], c.argv[1:]...)
		cmd.Dir = c.dir
		cmd.Env = append(os.Environ(), "CDKTF_OUTDIR="+c.into, "JSII_NODE="+node)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v\n%s", strings.Join(c.argv, " "), err, out)
		}
	}
	for _, stack := range []string{"dev", "s2"} {
		want, err := os.ReadFile(filepath.Join(app, "app", "stacks", stack, "cdk.tf.json"))
		if err != nil {
			return err
		}
		got, err := os.ReadFile(filepath.Join(js, "stacks", stack, "cdk.tf.json"))
		if err != nil {
			return err
		}
		if !bytes.Equal(got, want) {
			return fmt.Errorf("bench/anchor no longer builds what the app builds for stage %s (%s): change bench/anchor/main.js as the stage changed", stack, firstDifference(got, want))
		}
	}
	return nil
}

// firstDifference names the first line that differs.
func firstDifference(got, want []byte) string {
	gotLines, wantLines := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range min(len(gotLines), len(wantLines)) {
		if gotLines[i] != wantLines[i] {
			return fmt.Sprintf("line %d: anchor %q, app %q", i+1, strings.TrimSpace(gotLines[i]), strings.TrimSpace(wantLines[i]))
		}
	}
	return fmt.Sprintf("the anchor's has %d lines, the app's %d", len(gotLines), len(wantLines))
}

// measure runs command once in dir with its own output folder (and env
// added to its environment), and samples the memory of its process tree
// until it exits.
func measure(command []string, dir string, env ...string) (sample, error) {
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
	cmd.Dir = dir
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

// timings runs the binary once in folder with the app's phase timings on.
func timings(binary, folder, node string) (string, error) {
	run, err := measure([]string{binary}, folder, "AURORA_STAGES_TIMINGS=1", "JSII_NODE="+node)
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

func median(sorted []int64) int64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func seconds(nanoseconds int64) float64 {
	return time.Duration(nanoseconds).Seconds()
}

func megabytes(bytes int64) string {
	return fmt.Sprintf("%d MB", bytes/1_000_000)
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
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

// loadAverage is the 1-minute load average: other work on the machine
// skews the timings.
func loadAverage() string {
	data, _ := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); len(fields) > 0 {
		return fields[0]
	}
	return "?"
}

func nodeVersion(node string) string {
	out, _ := exec.Command(node, "--version").Output()
	return strings.TrimSpace(string(out))
}
