package suitecpu

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// acctRecord lays out one acct_v3 record as the kernel writes it.
func acctRecord(pid, ppid uint32, comm string, utime, stime uint16) []byte {
	buf := make([]byte, recordSize)
	buf[1] = version3
	le := binary.LittleEndian
	le.PutUint32(buf[16:], pid)
	le.PutUint32(buf[20:], ppid)
	le.PutUint16(buf[32:], utime)
	le.PutUint16(buf[34:], stime)
	copy(buf[48:], comm)
	return buf
}

func TestCompTDecodesMantissaAndExponent(t *testing.T) {
	for _, c := range []struct {
		in   uint16
		want float64
	}{{0, 0}, {240, 240}, {0x1fff, 8191}, {1<<13 | 1000, 8000}, {2<<13 | 3, 192}} {
		if got := compT(c.in); got != c.want {
			t.Errorf("compT(%#x) = %g, want %g", c.in, got, c.want)
		}
	}
}

// The records of a run: the runner (pid 100) started make (101), which
// started terraform (102) and its plugin (103); a cdktf CLI (104) whose
// child (105) was adopted by the runner; and a process of somebody else's
// (200 under 1) that exited meanwhile.
func TestReadsTheRunsRecordsByKind(t *testing.T) {
	var file bytes.Buffer
	for _, r := range [][]byte{
		acctRecord(103, 102, "terraform-provider-aws_v5.100.0_x5"[:15], 240, 10),
		acctRecord(102, 101, "terraform", 80, 7),
		acctRecord(105, 100, "jsii-kernel", 50, 0),
		acctRecord(104, 101, "node", 60, 0),
		acctRecord(200, 1, "terraform", 1000, 0),
		acctRecord(101, 100, "make", 1, 0),
	} {
		file.Write(r)
	}
	records, err := readAccounting(&file)
	if err != nil {
		t.Fatal(err)
	}
	got := byKind(inTree(records, 100))
	want := []Kind{
		{"AWS provider plugin", 1, 2.5},
		{"terraform", 1, 0.87},
		{"Node.js: cdktf CLI, npm", 1, 0.6},
		{"Node.js: jsii runtime (synthesis)", 1, 0.5},
		{"other (sh, make, git...)", 1, 0.01},
	}
	if !slices.Equal(got, want) {
		t.Errorf("by kind:\n got %v\nwant %v", got, want)
	}
}

func TestRefusesARecordOfAnotherVersion(t *testing.T) {
	record := acctRecord(1, 0, "sh", 0, 0)
	record[1] = 2
	if _, err := readAccounting(bytes.NewReader(record)); err == nil {
		t.Error("a version 2 record was read as version 3")
	}
}

// Measure's total counts the whole tree: a child that burns CPU in a
// grandchild, and, as root, the split by kind names it.
func TestMeasureCountsTheWholeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("burns a second of CPU")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	// A shell whose child counts for about a second of CPU, without
	// forking: the accounting keeps each process's time in 10 ms ticks,
	// rounded down, so a swarm of short processes would go unaccounted.
	script := `sh -c 'i=0; while [ $i -lt 1000000 ]; do i=$((i+1)); done'`
	run, err := Measure([]string{sh, "-c", script}, nil, filepath.Join(t.TempDir(), "pacct"))
	if err != nil {
		t.Fatal(err)
	}
	if run.ExitCode != 0 || run.CPUSeconds() < 0.3 {
		t.Errorf("run = %+v; want exit 0 and at least 0.3 CPU-seconds", run)
	}
	if os.Geteuid() != 0 || os.Getenv(measuringVariable) != "" {
		// Not root, or inside make test's own measured run, whose
		// accounting this run must leave alone.
		if run.KindsUnavailable == "" || len(run.Kinds) != 0 {
			t.Errorf("run = %+v: kinds measured, or no word on why not", run)
		}
		return
	}
	var accounted float64
	for _, k := range run.Kinds {
		accounted += k.Seconds
	}
	if len(run.Kinds) == 0 || accounted < 0.8*run.CPUSeconds() {
		t.Errorf("kinds %+v account for %.2f of %.2f CPU-seconds", run.Kinds, accounted, run.CPUSeconds())
	}
}
