package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/suitecpu"
)

// go test -json events of one package: a test with a subtest that passed,
// one that failed, one skipped, one whose subtest ran in parallel (it ends
// first, in 0 s); and a package that did not build.
const events = `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"pass","Package":"p","Test":"TestA/sub","Elapsed":3.5}
{"Action":"pass","Package":"p","Test":"TestA","Elapsed":4}
{"Action":"fail","Package":"p","Test":"TestB","Elapsed":1}
{"Action":"skip","Package":"p","Test":"TestC","Elapsed":0}
{"Action":"pass","Package":"p","Test":"TestD/parallel","Elapsed":2}
{"Action":"pass","Package":"p","Test":"TestD","Elapsed":0}
{"Action":"fail","Package":"p","Elapsed":5}
{"Action":"fail","Package":"broken","Elapsed":0}
`

func TestReportsSlowestCostliestKindsAndCounts(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "test-report.json"), []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	files := reportFiles{dir: dir}
	os.MkdirAll(files.perTest(), 0o755)
	os.WriteFile(filepath.Join(files.perTest(), "tests.test-1.json"), []byte(`{"TestA": 30.5, "TestB": 2}`), 0o644)
	os.WriteFile(filepath.Join(files.perTest(), "tests.test-2.json"), []byte(`{"TestA": 1.5}`), 0o644)
	measured := suitecpu.Run{Command: "make test-run", Start: time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC),
		WallSeconds: 421, UserSeconds: 300, SystemSeconds: 100,
		Kinds: []suitecpu.Kind{{Name: "terraform", Starts: 90, Seconds: 250}, {Name: "moto (AWS emulator)", Starts: 1, Seconds: 140}}}
	write(t, files.run(), measured)

	var out strings.Builder
	if err := report(files, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"The ten slowest tests (wall):\n       4.0 s  TestA\n       3.5 s  TestA/sub\n       2.0 s  TestD\n       2.0 s  TestD/parallel\n       1.0 s  TestB\n       0.0 s  TestC\n",
		"      32.0 CPU-s       4.0 s wall  TestA\n       2.0 CPU-s       1.0 s wall  TestB\n",
		"make test-run: 7m01s wall, 400 CPU-seconds (user 300, sys 100) on 2026-12-05 09:00 UTC\n",
		"  terraform                                       90    250.0    62%\n",
		"  moto (AWS emulator)                              1    140.0    35%\n",
		"  not accounted (each process rounds down)               10.0     2%\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks\n%s\nin\n%s", want, out.String())
		}
	}
	// Four tests passed (TestA, TestD and their subtests), TestB failed, and the
	// package that did not build counts as a failure; the package whose
	// test failed does not count twice.
	if !strings.HasSuffix(out.String(), "\ntests: 4 passed, 2 failed, 1 skipped\n") {
		t.Errorf("the report does not end with the counts:\n%s", out.String())
	}
}

func TestWithoutAMeasuredRunSaysToRunTheTests(t *testing.T) {
	err := report(reportFiles{dir: t.TempDir()}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), "run make test first") {
		t.Errorf("report of nothing: %v", err)
	}
}

func write(t *testing.T, path string, run suitecpu.Run) {
	t.Helper()
	data, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
