package localpg

import (
	"strings"
	"testing"
)

// StartForTest starts one server, of cluster key "test", made from spec,
// for another package's test, and stops it (every server of the returned
// Manager) when the test ends. It skips the test in -short mode, where the
// project leaves out what starts real servers.
func StartForTest(t testing.TB, spec Spec) (*Manager, *Server) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL: not in -short mode")
	}
	m, err := New(Options{StateDir: t.TempDir(), Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	s, err := m.Ensure(t.Context(), "test", spec)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// testLog sends a Manager's log lines to the test's log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
