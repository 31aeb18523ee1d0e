// Package testcpu keeps, for each top-level test, the CPU time of the
// processes the test started: terraform and its provider plugin, the cdktf
// CLI, moto, the project's commands. `make test` prints the most expensive
// tests from it (cmd/test-report).
//
// A process's CPU is read from its own resource usage when it has been
// waited for (Go's ProcessState): user and system time, that of the
// descendants it waited for included, so a cdktf deploy counts its
// terraform and the provider plugins terraform started. What a test does
// in the test binary itself (a synthesis through jsii's shared runtime)
// is not charged to it.
package testcpu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// DirVariable names the folder a test binary writes its ledger to, when
// set (cmd/test-report sets it for the run it measures).
const DirVariable = "AURORA_TEST_CPU_DIR"

var ledger = struct {
	sync.Mutex
	seconds map[string]float64
}{seconds: map[string]float64{}}

// Charge adds the CPU time of a process that has exited, and was waited
// for, to the top-level test t belongs to. A nil state (a process that
// never started) adds nothing.
func Charge(t testing.TB, state *os.ProcessState) {
	if state == nil {
		return
	}
	test, _, _ := strings.Cut(t.Name(), "/")
	ledger.Lock()
	defer ledger.Unlock()
	ledger.seconds[test] += (state.UserTime() + state.SystemTime()).Seconds()
}

// Write writes the ledger to a file of its own in the folder DirVariable
// names, if it is set: one JSON object of test name to CPU-seconds. Called
// once the tests have ended (TestMain).
func Write() error {
	dir := os.Getenv(DirVariable)
	if dir == "" {
		return nil
	}
	ledger.Lock()
	defer ledger.Unlock()
	data, err := json.Marshal(ledger.seconds)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%d-%d.json", filepath.Base(os.Args[0]), os.Getpid(), time.Now().UnixNano())
	return os.WriteFile(filepath.Join(dir, name), data, 0o644)
}

// Read sums the ledgers written to dir, by test.
func Read(dir string) (map[string]float64, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	total := map[string]float64{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var seconds map[string]float64
		if err := json.Unmarshal(data, &seconds); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for test, s := range seconds {
			total[test] += s
		}
	}
	return total, nil
}
