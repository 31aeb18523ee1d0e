package localpg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sys/unix"
)

var devSpec = Spec{Major: "16", DatabaseName: "main", MasterUsername: "dbadmin", Password: "first-Pass'word:%1"}

func connect(t *testing.T, s *Server, user, password, database string) (*pgx.Conn, error) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), s.ConnString(user, password, database))
	if err == nil {
		t.Cleanup(func() { conn.Close(context.Background()) })
	}
	return conn, err
}

func mustConnect(t *testing.T, s *Server, user, password, database string) *pgx.Conn {
	t.Helper()
	conn, err := connect(t, s, user, password, database)
	if err != nil {
		t.Fatalf("logging in as %s to %s: %v", user, database, err)
	}
	return conn
}

func wantInvalidPassword(t *testing.T, s *Server, password string) {
	t.Helper()
	_, err := connect(t, s, devSpec.MasterUsername, password, devSpec.DatabaseName)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("logging in with password %q: got %v, want PostgreSQL's 28P01 (invalid_password)", password, err)
	}
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var v string
	if err := conn.QueryRow(t.Context(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

func TestManager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL servers: not in -short mode")
	}
	// The helper other packages' tests use; its Manager is the one under
	// test (cluster key "test"), closed by the last subtest, then again,
	// harmlessly, by the helper's cleanup.
	m, dev := StartForTest(t, devSpec)
	ctx := t.Context()

	t.Run("the master user logs in over TCP to the cluster's database", func(t *testing.T) {
		conn := mustConnect(t, dev, "dbadmin", devSpec.Password, "main")
		if got := queryString(t, conn, "SELECT current_user"); got != "dbadmin" {
			t.Errorf("current_user = %q, want dbadmin", got)
		}
		if got := queryString(t, conn, "SELECT current_database()"); got != "main" {
			t.Errorf("current_database() = %q, want main", got)
		}
		if got := queryString(t, conn, "SHOW server_version"); !strings.HasPrefix(got, "16.") {
			t.Errorf("server_version = %q, want 16.x", got)
		}
	})

	t.Run("a wrong password is refused with 28P01", func(t *testing.T) {
		wantInvalidPassword(t, dev, "not-the-password")
	})

	t.Run("Ensure again returns the same server", func(t *testing.T) {
		again, err := m.Ensure(ctx, "test", devSpec)
		if err != nil {
			t.Fatal(err)
		}
		if again != dev {
			t.Errorf("Ensure started another server (port %d, first %d)", again.Port, dev.Port)
		}
	})

	t.Run("SetPassword: the new password works, the old one fails", func(t *testing.T) {
		if err := m.SetPassword(ctx, "test", "second-password"); err != nil {
			t.Fatal(err)
		}
		mustConnect(t, dev, "dbadmin", "second-password", "main")
		wantInvalidPassword(t, dev, devSpec.Password)
	})

	t.Run("Ensure with another password sets it", func(t *testing.T) {
		spec := devSpec
		spec.Password = "third-password"
		if _, err := m.Ensure(ctx, "test", spec); err != nil {
			t.Fatal(err)
		}
		mustConnect(t, dev, "dbadmin", "third-password", "main")
		wantInvalidPassword(t, dev, "second-password")
	})

	t.Run("Ensure refuses another major for existing data", func(t *testing.T) {
		spec := devSpec
		spec.Major = "17"
		_, err := m.Ensure(ctx, "test", spec)
		if err == nil || !strings.Contains(err.Error(), "cannot change major") {
			t.Fatalf("Ensure with major 17 on a 16 cluster: got %v, want a refusal", err)
		}
	})

	t.Run("a snapshot and its restore are independent copies with rows", func(t *testing.T) {
		conn := mustConnect(t, dev, "dbadmin", "third-password", "main")
		if _, err := conn.Exec(ctx, "CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 1000) g"); err != nil {
			t.Fatal(err)
		}
		// The source runs while it is copied, and keeps its sessions.
		if err := m.Clone(ctx, "test", "snapshot:one", Spec{}); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO items VALUES (1001, 'after the snapshot')"); err != nil {
			t.Fatalf("the source's session after Clone: %v", err)
		}
		// A snapshot is never started: restoring from it copies a stopped folder.
		if err := m.Clone(ctx, "snapshot:one", "restored", Spec{Password: "restored-password"}); err != nil {
			t.Fatal(err)
		}
		restored, err := m.Ensure(ctx, "restored", Spec{Major: "16", DatabaseName: "main", MasterUsername: "dbadmin"})
		if err != nil {
			t.Fatal(err)
		}
		if restored.Port == dev.Port {
			t.Fatalf("the restored cluster shares port %d with its source", dev.Port)
		}
		copyConn := mustConnect(t, restored, "dbadmin", "restored-password", "main")
		if got := queryString(t, copyConn, "SELECT count(*)::text FROM items"); got != "1000" {
			t.Errorf("rows in the restored cluster = %s, want the 1000 of the snapshot", got)
		}
		if _, err := copyConn.Exec(ctx, "DELETE FROM items WHERE id <= 500"); err != nil {
			t.Fatal(err)
		}
		if got := queryString(t, conn, "SELECT count(*)::text FROM items"); got != "1001" {
			t.Errorf("rows in the source after deleting in the copy = %s, want 1001", got)
		}
		if got := queryString(t, copyConn, "SELECT count(*)::text FROM items"); got != "500" {
			t.Errorf("rows in the copy after deleting = %s, want 500", got)
		}
		wantInvalidPassword(t, restored, "third-password")
	})

	t.Run("Drop removes the data", func(t *testing.T) {
		dataDir := m.clusters["restored"].dataDir
		if err := m.Drop(ctx, "restored"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
			t.Errorf("%s after Drop: %v, want it gone", dataDir, err)
		}
		again, err := m.Ensure(ctx, "restored", devSpec)
		if err != nil {
			t.Fatal(err)
		}
		conn := mustConnect(t, again, "dbadmin", devSpec.Password, "main")
		if got := queryString(t, conn, "SELECT count(*)::text FROM pg_tables WHERE tablename = 'items'"); got != "0" {
			t.Errorf("a dropped and recreated cluster has the old table")
		}
	})

	t.Run("a 17 cluster, its password set before it exists", func(t *testing.T) {
		if err := m.SetPassword(ctx, "upgraded", "set-before"); err != nil {
			t.Fatal(err)
		}
		s, err := m.Ensure(ctx, "upgraded", Spec{Major: "17", DatabaseName: "app", MasterUsername: "owner"})
		if err != nil {
			t.Fatal(err)
		}
		conn := mustConnect(t, s, "owner", "set-before", "app")
		if got := queryString(t, conn, "SHOW server_version"); got != "17.4" || s.Version() != "17.4" {
			t.Errorf("server_version = %q, Version() = %q, want 17.4", got, s.Version())
		}
	})

	t.Run("as root, postgres runs as nobody", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("not root: postgres runs as the caller")
		}
		status, err := os.ReadFile("/proc/" + strconv.Itoa(dev.cmd.Process.Pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "Uid:") {
				if fields := strings.Fields(line); fields[1] != "65534" || fields[2] != "65534" {
					t.Errorf("postgres runs as %s, want nobody (65534)", line)
				}
			}
		}
	})

	t.Run("Close leaves no postgres", func(t *testing.T) {
		running := 0
		for _, c := range m.clusters {
			if c.server != nil {
				running++
			}
		}
		if running != 3 {
			t.Fatalf("%d servers run before Close, want 3 (test, restored, upgraded)", running)
		}
		if n := len(serverProcesses(t, m.dataRoot, m.binRoot)); n <= running {
			t.Fatalf("found %d postgres processes of this Manager before Close, want the %d postmasters and their children: the check cannot see them", n, running)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if left := serverProcesses(t, m.dataRoot, m.binRoot); len(left) > 0 {
			t.Errorf("after Close, postgres processes are left: %v", left)
		}
		if _, err := os.Stat(m.runDir); !os.IsNotExist(err) {
			t.Errorf("Close left %s: %v", m.runDir, err)
		}
		if _, err := os.Lstat(filepath.Join(m.stateDir, "data")); !os.IsNotExist(err) {
			t.Errorf("Close left the link %s/data: %v", m.stateDir, err)
		}
	})
}

// serverProcesses lists the processes that work in a data folder under
// dataRoot: a postmaster and each of its children run in their data folder.
// Neither the process group (each child makes its own), nor the parent (a
// killed postmaster's children go to init), nor the executable (other
// tests' servers run the same) tells a Manager's servers apart. A process
// found is checked to run a binary under binRoot, and one that is exiting
// counts as long as it holds its folder, which it lets go of after its
// shared memory.
func serverProcesses(t *testing.T, dataRoot, binRoot string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd")
		if err != nil || !strings.HasPrefix(cwd, dataRoot+"/") {
			continue
		}
		exe, err := os.Readlink("/proc/" + e.Name() + "/exe")
		if err == nil && !strings.HasPrefix(exe, binRoot+"/") {
			t.Errorf("process %s works in %s but runs %s, not a binary under %s", e.Name(), cwd, exe, binRoot)
		}
		found = append(found, e.Name()+" in "+cwd)
	}
	return found
}

// childStateEnv makes the test binary, run again by
// TestKilledProgramLeavesNoServer, start a server in the folder it names,
// print its Manager's run folder and binaries' folder, and wait to be
// killed.
const childStateEnv = "LOCALPG_TEST_CHILD_STATE"

func TestKilledProgramLeavesNoServer(t *testing.T) {
	if state := os.Getenv(childStateEnv); state != "" {
		m, err := New(Options{StateDir: state})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := m.Ensure(t.Context(), "killed", devSpec); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s %s\n", m.runDir, m.binRoot)
		select {}
	}
	if testing.Short() {
		t.Skip("starts a PostgreSQL server: not in -short mode")
	}
	child := exec.Command(os.Args[0], "-test.run=^TestKilledProgramLeavesNoServer$")
	child.Env = append(os.Environ(), childStateEnv+"="+t.TempDir())
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var runDir, binRoot string
	if _, err := fmt.Fscan(stdout, &runDir, &binRoot); err != nil {
		child.Process.Kill()
		child.Wait()
		t.Fatalf("reading the child's folders: %v", err)
	}
	if err := child.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := serverProcesses(t, filepath.Join(runDir, "data"), binRoot)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after its program was killed, postgres processes %v are left", left)
		}
		time.Sleep(20 * time.Millisecond)
	}
	pidFiles, _ := filepath.Glob(filepath.Join(runDir, "data", "*", "postmaster.pid"))
	if len(pidFiles) != 1 {
		t.Fatalf("the killed program's server left %d postmaster.pid, want 1", len(pidFiles))
	}
	content, err := os.ReadFile(pidFiles[0])
	if err != nil {
		t.Fatal(err)
	}
	var shmKey, shmID int
	if _, err := fmt.Sscan(strings.Split(string(content), "\n")[6], &shmKey, &shmID); err != nil {
		t.Fatalf("reading the shared memory id in %s: %v", pidFiles[0], err)
	}
	// The next Manager removes what the killed one left.
	m, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := os.Stat(runDir); !os.IsNotExist(err) {
		t.Errorf("the killed program's %s is still there after New: %v", runDir, err)
	}
	var desc unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(shmID, unix.IPC_STAT, &desc); err == nil && int(desc.Perm.Key) == shmKey {
		t.Errorf("the killed server's shared memory segment %d is still there after New", shmID)
	}
}

func TestSpecErrorsNameEveryField(t *testing.T) {
	err := Spec{Major: "15", DatabaseName: "1main", MasterUsername: "db-admin"}.validate()
	if err == nil {
		t.Fatal("an invalid spec passed")
	}
	for _, want := range []string{`engine major "15"`, "use one of 16, 17", `DatabaseName "1main"`, `MasterUsername "db-admin"`, "Password is empty"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q:\n%v", want, err)
		}
	}
}
