package suitecpu

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// record is one process as the kernel's process accounting (acct(2),
// format version 3) records it when the process exits.
type record struct {
	pid, ppid uint32
	comm      string
	// cpu is user plus system time, in seconds.
	cpu float64
}

// The accounting file's records, as include/uapi/linux/acct.h lays out
// struct acct_v3: 64 bytes, in the machine's byte order (little-endian on
// the machines this project runs on).
const (
	recordSize = 64
	version3   = 3
	// ticksPerSecond is AHZ, the unit of the records' times.
	ticksPerSecond = 100
)

// readAccounting reads every record of an accounting file.
func readAccounting(r io.Reader) ([]record, error) {
	var records []record
	buf := make([]byte, recordSize)
	for {
		if _, err := io.ReadFull(r, buf); err == io.EOF {
			return records, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading the process accounting file: %w", err)
		}
		if buf[1]&0x0f != version3 {
			return nil, fmt.Errorf("process accounting record of version %d, want %d (acct_v3)", buf[1]&0x0f, version3)
		}
		le := binary.LittleEndian
		utime, stime := compT(le.Uint16(buf[32:])), compT(le.Uint16(buf[34:]))
		records = append(records, record{
			pid:  le.Uint32(buf[16:]),
			ppid: le.Uint32(buf[20:]),
			comm: strings.TrimRight(string(buf[48:64]), "\x00"),
			cpu:  (utime + stime) / ticksPerSecond,
		})
	}
}

// compT decodes a comp_t: a 13-bit mantissa and a 3-bit exponent of 8.
func compT(c uint16) float64 {
	return float64(c&0x1fff) * math.Pow(8, float64(c>>13))
}

// inTree keeps the records of the processes descended from root: each
// record's parent chain, through the other records, reaches root. The
// runner is a child subreaper, so a process whose parent exited first was
// adopted by it and still names it.
func inTree(records []record, root uint32) []record {
	parent := make(map[uint32]uint32, len(records))
	for _, r := range records {
		parent[r.pid] = r.ppid
	}
	var kept []record
	for _, r := range records {
		pid, steps := r.ppid, 0
		for pid != root && steps < 64 {
			next, known := parent[pid]
			if !known {
				break
			}
			pid, steps = next, steps+1
		}
		if pid == root {
			kept = append(kept, r)
		}
	}
	return kept
}

// readAccountingFile reads and removes the file.
func readAccountingFile(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	defer f.Close()
	return readAccounting(f)
}
