package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// testEvents is what go test's JSON events (go test -json, as gotestsum
// keeps them) say of a run.
type testEvents struct {
	// elapsed is each test's and subtest's wall time, in seconds.
	elapsed                 map[string]float64
	passed, failed, skipped int
}

// readEvents reads the events file. A package that failed without a test
// failing (it did not build) counts as one failed test.
func readEvents(path string) (testEvents, error) {
	events := testEvents{elapsed: map[string]float64{}}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return events, nil
	} else if err != nil {
		return events, err
	}
	defer f.Close()
	failedTests := map[string]int{}
	var failedPackages []string
	lines := bufio.NewScanner(f)
	lines.Buffer(make([]byte, 1024*1024), 16*1024*1024)
	for lines.Scan() {
		var e struct {
			Action, Package, Test string
			Elapsed               float64
		}
		if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
			return events, fmt.Errorf("%s: %w", path, err)
		}
		if e.Test == "" {
			if e.Action == "fail" {
				failedPackages = append(failedPackages, e.Package)
			}
			continue
		}
		switch e.Action {
		case "pass":
			events.passed++
		case "fail":
			events.failed++
			failedTests[e.Package]++
		case "skip":
			events.skipped++
		default:
			continue
		}
		events.elapsed[e.Test] = max(events.elapsed[e.Test], e.Elapsed)
		// A test whose subtests run in parallel ends before they do: its
		// own time is that of its longest subtest.
		if top, _, sub := strings.Cut(e.Test, "/"); sub {
			events.elapsed[top] = max(events.elapsed[top], e.Elapsed)
		}
	}
	for _, pkg := range failedPackages {
		if failedTests[pkg] == 0 {
			events.failed++
		}
	}
	return events, lines.Err()
}

type ranked struct {
	name  string
	value float64
}

// top is the n largest values, largest first, ties by name.
func top(values map[string]float64, n int) []ranked {
	var list []ranked
	for name, value := range values {
		list = append(list, ranked{name, value})
	}
	slices.SortFunc(list, func(a, b ranked) int {
		if a.value != b.value {
			if a.value > b.value {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return list[:min(n, len(list))]
}
