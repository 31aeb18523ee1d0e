package localpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is one running PostgreSQL: a cluster's.
type Server struct {
	Host string // always 127.0.0.1
	Port int

	version   string // PostgreSQL's, e.g. 16.6
	master    string
	dataDir   string
	socketDir string
	cmd       *exec.Cmd
	exited    chan struct{} // closed once the postmaster has exited
	waitErr   error         // why it exited, read after exited is closed
}

// ConnString is a URL for pgx (and libpq) to log in to database as user
// over TCP.
func (s *Server) ConnString(user, password, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Version is the PostgreSQL version the server runs, e.g. "16.6".
func (s *Server) Version() string { return s.version }

// serverSettings are given on postgres's command line, so a data folder
// holds no setting of this package's and a copy of it (a clone, a
// template) gets the current ones at its start.
func serverSettings(port int, socketDir string) []string {
	settings := []string{
		"listen_addresses=127.0.0.1",
		"port=" + strconv.Itoa(port),
		"unix_socket_directories=" + socketDir,
		"timezone=UTC",
		"log_timezone=UTC",
		// The data is thrown away with the emulator, and not waiting for
		// the disk saves time and CPU in every test that writes.
		"fsync=off",
		"synchronous_commit=off",
		"full_page_writes=off",
		// Dynamic shared memory in the data folder, not in /dev/shm, so that
		// a server killed with its program leaves none behind.
		"dynamic_shared_memory_type=mmap",
		// Keeps the WAL that an online Clone needs until it has copied
		// it, should a checkpoint come in between (see cloneRunning).
		"wal_keep_size=64MB",
	}
	var args []string
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	return args
}

// startServer starts postgres on dataDir and waits until it accepts
// connections. The port is one the kernel just handed out as free; if
// another process takes it before postgres binds it, a new one is tried.
func startServer(ctx context.Context, sp *spawner, acct account, binDir, dataDir, socketDir, logPath, master string) (*Server, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := startOnPort(ctx, sp, acct, binDir, dataDir, socketDir, logPath, master, port)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "could not bind") {
			break
		}
	}
	return nil, lastErr
}

func startOnPort(ctx context.Context, sp *spawner, acct account, binDir, dataDir, socketDir, logPath, master string, port int) (*Server, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // postgres has its own copy of the descriptor
	logStart, err := logFile.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-D", dataDir}, serverSettings(port, socketDir)...)
	cmd := exec.Command(filepath.Join(binDir, "bin", "postgres"), args...)
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := sp.start(cmd, acct); err != nil {
		return nil, fmt.Errorf("localpg: starting postgres: %w", err)
	}
	s := &Server{
		Host: "127.0.0.1", Port: port,
		version: postgresVersion(filepath.Base(binDir)), master: master,
		dataDir: dataDir, socketDir: socketDir,
		cmd: cmd, exited: make(chan struct{}),
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		s.stop()
		return nil, fmt.Errorf("localpg: postgres on %s did not start: %w; its log %s says:\n%s", dataDir, err, logPath, logSince(logPath, logStart))
	}
	return s, nil
}

// waitReady polls postmaster.pid, whose eighth line the postmaster sets to
// "ready" once it accepts connections; pg_ctl waits the same way. Cheaper
// than trying to log in.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	pidFile := filepath.Join(s.dataDir, "postmaster.pid")
	for {
		if content, err := os.ReadFile(pidFile); err == nil {
			lines := strings.Split(string(content), "\n")
			if len(lines) >= 8 && lines[0] == strconv.Itoa(s.cmd.Process.Pid) && strings.TrimSpace(lines[7]) == "ready" {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("it exited (%v)", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// stop shuts the server down fast (open sessions are ended, a checkpoint
// is written) and, should that hang, kills the postmaster; each of its
// children exits on its own when it sees the postmaster gone.
func (s *Server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.exited:
		return nil
	case <-time.After(30 * time.Second):
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	return fmt.Errorf("localpg: postgres on %s did not shut down within 30 s and was killed", s.dataDir)
}

func (s *Server) running() bool {
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// admin connects as the master user through the unix socket, which
// pg_hba.conf trusts.
func (s *Server) admin(ctx context.Context) (*pgx.Conn, error) {
	dsn := fmt.Sprintf("host=%s port=%d user=%s dbname=postgres sslmode=disable",
		dsnValue(s.socketDir), s.Port, dsnValue(s.master))
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("localpg: connecting to postgres on %s through its socket: %w", s.dataDir, err)
	}
	return conn, nil
}

func (s *Server) setPassword(ctx context.Context, password string) error {
	conn, err := s.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return alterPassword(ctx, conn, s.master, password)
}

// createDatabase creates database unless it is there (a cluster may call
// its database "postgres").
func (s *Server) createDatabase(ctx context.Context, database string) error {
	conn, err := s.admin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)", database).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{database}.Sanitize()); err != nil {
		return fmt.Errorf("creating database %s: %w", database, err)
	}
	return nil
}

// alterPassword sets role's password. ALTER ROLE takes no parameters, so
// the password is a quoted literal (standard_conforming_strings is on).
func alterPassword(ctx context.Context, conn *pgx.Conn, role, password string) error {
	if strings.ContainsRune(password, 0) {
		return errors.New("localpg: a password cannot contain a NUL character")
	}
	literal := "'" + strings.ReplaceAll(password, "'", "''") + "'"
	_, err := conn.Exec(ctx, "ALTER ROLE "+pgx.Identifier{role}.Sanitize()+" PASSWORD "+literal)
	if err != nil {
		return fmt.Errorf("localpg: setting the password of %s: %w", role, err)
	}
	return nil
}

func dsnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logSince returns what the log got since offset, at most its last 4 KiB.
func logSince(path string, offset int64) string {
	content, err := os.ReadFile(path)
	if err != nil || int64(len(content)) < offset {
		return ""
	}
	content = content[offset:]
	if len(content) > 4096 {
		content = content[len(content)-4096:]
	}
	return string(content)
}
