package localpg

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The numbers behind the package's choices (a template per release instead
// of initdb per cluster, an online Clone, a login per Data API call):
//
//	go test ./internal/localpg/ -run '^$' -bench . -benchtime 5x
//
// BenchmarkColdInstall downloads 15 MB per run: give it -benchtime 1x.

// cpuTime is this process's CPU time and that of its children already
// waited for (a stopped postgres and, through it, its backends).
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	total := time.Duration(0)
	for _, tv := range []syscall.Timeval{self.Utime, self.Stime, children.Utime, children.Stime} {
		total += time.Duration(tv.Nano())
	}
	return total
}

// measure runs op b.N times and reports its mean wall and CPU time.
func measure(b *testing.B, op func(i int)) {
	b.Helper()
	b.ResetTimer()
	began, cpuBegan := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		op(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(began).Milliseconds())/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64((cpuTime()-cpuBegan).Milliseconds())/float64(b.N), "cpu-ms/op")
}

// diskTempDir is a folder on the disk that the server's account can use,
// as the binaries' and templates' folder is: not b.TempDir(), mode 700
// under root and, in make test, under a TMPDIR of mode 700.
func diskTempDir(b *testing.B) string {
	b.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "localpg-bench-")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func benchManager(b *testing.B) *Manager {
	b.Helper()
	m, err := New(Options{StateDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkColdInstall: download, check and extract a release, as on a new
// machine.
func BenchmarkColdInstall(b *testing.B) {
	r := releases["16"]
	measure(b, func(int) {
		if _, err := install(b.Context(), r, b.TempDir(), diskTempDir(b)); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkExtract: extract a release from the cached archive.
func BenchmarkExtract(b *testing.B) {
	m := benchManager(b)
	r := releases["16"]
	if _, err := m.binaries(b.Context(), "16"); err != nil {
		b.Fatal(err)
	}
	measure(b, func(int) {
		if _, err := install(b.Context(), r, m.cacheDir, diskTempDir(b)); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkInitdb: what each cluster would cost without the template:
// initdb alone, in RAM as a cluster's data would be, and the template
// (initdb, a start, CREATE DATABASE), made once per release, master user
// and database.
func BenchmarkInitdb(b *testing.B) {
	m := benchManager(b)
	binDir, err := m.binaries(b.Context(), "16")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("initdb", func(b *testing.B) {
		measure(b, func(i int) {
			dir := filepath.Join(m.dataRoot, fmt.Sprint("initdb-", b.N, "-", i))
			if err := os.Mkdir(dir, 0o700); err != nil {
				b.Fatal(err)
			}
			if err := m.acct.chown(dir); err != nil {
				b.Fatal(err)
			}
			if err := m.initdb(b.Context(), binDir, dir, "dbadmin"); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("template", func(b *testing.B) {
		measure(b, func(int) {
			m.binRoot = diskTempDir(b)
			if _, err := m.template(b.Context(), binDir, devSpec); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkTemplateCopy: what each cluster costs instead (1,300 files,
// 46 MB), into RAM as the package does, and onto the disk.
func BenchmarkTemplateCopy(b *testing.B) {
	m := benchManager(b)
	binDir, err := m.binaries(b.Context(), "16")
	if err != nil {
		b.Fatal(err)
	}
	tmpl, err := m.template(b.Context(), binDir, devSpec)
	if err != nil {
		b.Fatal(err)
	}
	for _, target := range []struct{ name, dir string }{{"ram", m.dataRoot}, {"disk", diskTempDir(b)}} {
		b.Run(target.name, func(b *testing.B) {
			measure(b, func(i int) {
				if err := copyData(tmpl, filepath.Join(target.dir, fmt.Sprint(b.N, "-", i)), m.acct, nil); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkStart: Ensure of a new cluster with cached binaries and
// template (copy, start, password, CREATE DATABASE) until it accepts
// logins, then Drop. ready-ms is the Ensure alone.
func BenchmarkStart(b *testing.B) {
	m := benchManager(b)
	if _, err := m.Ensure(b.Context(), "warm-up", devSpec); err != nil {
		b.Fatal(err)
	}
	var ready time.Duration
	measure(b, func(i int) {
		key := fmt.Sprint("cluster-", i)
		began := time.Now()
		if _, err := m.Ensure(b.Context(), key, devSpec); err != nil {
			b.Fatal(err)
		}
		ready += time.Since(began)
		if err := m.Drop(b.Context(), key); err != nil {
			b.Fatal(err)
		}
	})
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ready-ms/op")
}

// BenchmarkCloneRunning: a snapshot of a running cluster holding 10,000
// rows, then Drop.
func BenchmarkCloneRunning(b *testing.B) {
	m := benchManager(b)
	s, err := m.Ensure(b.Context(), "source", devSpec)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(b.Context(), s.ConnString("dbadmin", devSpec.Password, "main"))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(b.Context())
	if _, err := conn.Exec(b.Context(), "CREATE TABLE items AS SELECT g AS id, md5(g::text) AS name FROM generate_series(1, 10000) g"); err != nil {
		b.Fatal(err)
	}
	measure(b, func(i int) {
		key := fmt.Sprint("snapshot:", i)
		if err := m.Clone(b.Context(), "source", key, Spec{}); err != nil {
			b.Fatal(err)
		}
		if err := m.Drop(b.Context(), key); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkLogin: one password login over TCP (SCRAM) and a query, as a
// Data API call that does not keep connections would cost. Client side
// only: the server's share is in its backend, not waited for here.
func BenchmarkLogin(b *testing.B) {
	m := benchManager(b)
	s, err := m.Ensure(b.Context(), "login", devSpec)
	if err != nil {
		b.Fatal(err)
	}
	measure(b, func(int) {
		conn, err := pgx.Connect(b.Context(), s.ConnString("dbadmin", devSpec.Password, "main"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(b.Context(), "SELECT 1"); err != nil {
			b.Fatal(err)
		}
		conn.Close(b.Context())
	})
}
