package localpg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Spec is what a cluster's server is made with.
type Spec struct {
	// Major is the major of the cluster's engine version ("16" for
	// 16.6). The server runs the one release pinned for that major (see
	// releases), whatever the minor the stage asks for.
	Major string
	// DatabaseName is the cluster's database, made with the data.
	DatabaseName string
	// MasterUsername is the server's bootstrap superuser. On Aurora the
	// master user is a member of rds_superuser, not a superuser: here it
	// can do what Aurora would refuse it (ALTER SYSTEM, untrusted
	// languages, reading server files).
	MasterUsername string
	// Password is the master password last set on the cluster; "" keeps
	// the one given before (to SetPassword, or an earlier Ensure).
	Password string
}

// Aurora's rule for both names: 1 to 63 letters, digits or underscores,
// starting with a letter.
var identifier = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,62}$`)

// validate names every field that is wrong, not just the first.
func (s Spec) validate() error {
	var errs []error
	if _, err := releaseOf(s.Major); err != nil {
		errs = append(errs, err)
	}
	if !identifier.MatchString(s.DatabaseName) {
		errs = append(errs, fmt.Errorf("localpg: DatabaseName %q: want 1 to 63 letters, digits or underscores, starting with a letter", s.DatabaseName))
	}
	if !identifier.MatchString(s.MasterUsername) {
		errs = append(errs, fmt.Errorf("localpg: MasterUsername %q: want 1 to 63 letters, digits or underscores, starting with a letter", s.MasterUsername))
	}
	if s.Password == "" {
		errs = append(errs, errors.New("localpg: Password is empty and none was set before with SetPassword: give the cluster's master password"))
	}
	return errors.Join(errs...)
}

// Options says where a Manager keeps its files.
type Options struct {
	// StateDir holds one log per server and a link, data, to the data
	// folders, which live in RAM (see runBase) as long as the Manager: a
	// test's t.TempDir(), or .local/postgres for make local.
	StateDir string
	// CacheDir holds the downloaded archives and, where the server's
	// account can reach it (see sharedBinRoot), the extracted binaries and
	// the template data folders; "" is
	// os.UserCacheDir()/aurora-stages/postgres, next to Go's build cache.
	CacheDir string
	// Log gets one line per server started or stopped; nil discards them.
	Log io.Writer
}

// sharedBinRoot is where root extracts the binaries and keeps the template
// data folders when its cache is out of the server account's reach (the
// user cache is under /root, mode 700). /var/cache is for exactly this:
// data kept between runs that a program can make again.
const sharedBinRoot = "/var/cache/aurora-stages/postgres"

// Manager runs one PostgreSQL server per cluster. It is safe for concurrent
// use.
type Manager struct {
	acct     account
	cacheDir string // downloaded archives
	binRoot  string // extracted releases and template data folders
	stateDir string // logs
	dataRoot string // the clusters' data folders
	runDir   string // this Manager's own: sockets and dataRoot
	log      io.Writer
	sp       *spawner

	setupMu sync.Mutex // one download, extraction or initdb at a time

	mu       sync.Mutex
	closed   bool
	clusters map[string]*cluster
}

// cluster is one key's server and data.
type cluster struct {
	mu       sync.Mutex // held through every start, stop, copy and drop
	key      string
	dataDir  string
	logPath  string
	spec     Spec   // what the data was made with; Password unused
	password string // the master password last set
	hasData  bool
	server   *Server
}

// New prepares a Manager; servers start on first Ensure.
func New(opts Options) (*Manager, error) {
	if opts.StateDir == "" {
		return nil, errors.New("localpg: Options.StateDir is empty: give a folder for the logs")
	}
	if runtime.GOARCH != "amd64" {
		return nil, fmt.Errorf("localpg: the pinned PostgreSQL builds are for linux/amd64, this is linux/%s: pin zonky's builds for it in releases", runtime.GOARCH)
	}
	stateDir, err := filepath.Abs(opts.StateDir)
	if err != nil {
		return nil, err
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, err
	}
	cacheDir := opts.CacheDir
	if cacheDir == "" {
		userCache, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("localpg: no user cache folder (%w): set Options.CacheDir", err)
		}
		cacheDir = filepath.Join(userCache, "aurora-stages", "postgres")
	}
	for _, dir := range []string{cacheDir, stateDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	binRoot := cacheDir
	if !acct.canTraverse(cacheDir) {
		binRoot = sharedBinRoot
	}
	base := runBase()
	removeStaleRunDirs(base)
	runDir, err := os.MkdirTemp(base, runDirPrefix)
	if err != nil {
		return nil, err
	}
	m := &Manager{
		acct: acct, cacheDir: cacheDir, binRoot: binRoot,
		stateDir: stateDir, runDir: runDir, dataRoot: filepath.Join(runDir, "data"),
		log: &lockedWriter{w: opts.Log}, clusters: map[string]*cluster{},
	}
	if opts.Log == nil {
		m.log = io.Discard
	}
	if err := m.prepareRunDir(); err != nil {
		os.RemoveAll(runDir)
		return nil, err
	}
	m.sp = newSpawner()
	return m, nil
}

// runDirPrefix names each Manager's folder in runBase().
const runDirPrefix = "localpg-"

// runBase is where each Manager makes its folder for sockets and data:
// /dev/shm, a RAM file system, where there is one. The data is thrown away
// with the emulator that it serves, and a cluster's 1,300 files are made
// there in a steady 60 ms of CPU and 60 to 100 ms of wall time, where this
// project's disks take 60 to 480 ms of CPU and 100 to 900 ms, as other work
// on the machine varies (BenchmarkTemplateCopy).
func runBase() string {
	if info, err := os.Stat("/dev/shm"); err == nil && info.IsDir() && unix.Access("/dev/shm", unix.W_OK|unix.X_OK) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

// prepareRunDir readies the Manager's own folder, writes in it the pid that
// owns it, and links StateDir/data to the data in it, so a person finds it.
func (m *Manager) prepareRunDir() error {
	// 711: the server account may enter, not list.
	if err := os.Chmod(m.runDir, 0o711); err != nil {
		return err
	}
	if !m.acct.canTraverse(m.runDir) {
		return fmt.Errorf("localpg: %s is out of reach of the user %q that runs PostgreSQL: set TMPDIR to a folder it can enter", m.runDir, serverUser)
	}
	if err := os.WriteFile(filepath.Join(m.runDir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return err
	}
	if err := os.Mkdir(m.dataRoot, 0o711); err != nil {
		return err
	}
	if err := os.Chmod(m.dataRoot, 0o711); err != nil {
		return err
	}
	link := filepath.Join(m.stateDir, "data")
	if err := os.RemoveAll(link); err != nil {
		return err
	}
	return os.Symlink(m.dataRoot, link)
}

// removeStaleRunDirs removes the folders in base of this user's Managers
// whose process is gone: one killed before Close leaves its data there (46
// MB per cluster, in RAM), and each of its servers, killed with it (see
// spawner), a System V shared memory segment.
func removeStaleRunDirs(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, runDirPrefix+"*"))
	for _, dir := range dirs {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); !ok || int(st.Uid) != os.Geteuid() {
			continue
		}
		content, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			continue // being made, or not a Manager's
		}
		pid, err := strconv.Atoi(string(content))
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); os.IsNotExist(err) {
			pidFiles, _ := filepath.Glob(filepath.Join(dir, "data", "*", "postmaster.pid"))
			exiting := false
			for _, pidFile := range pidFiles {
				exiting = !removeSharedMemory(pidFile) || exiting
			}
			// A server still exiting keeps its segment: the next Manager
			// will find both.
			if !exiting {
				os.RemoveAll(dir)
			}
		}
	}
}

// removeSharedMemory removes the System V segment that the postmaster of
// pidFile made as an interlock (PostgreSQL makes one even when its shared
// memory is mmap'd) and reports whether it is gone; one that a process
// still uses stays. The seventh line of postmaster.pid holds its key and id.
func removeSharedMemory(pidFile string) bool {
	content, err := os.ReadFile(pidFile)
	if err != nil {
		return true
	}
	lines := strings.Split(string(content), "\n")
	if len(lines) < 7 {
		return true
	}
	var key, id int
	if _, err := fmt.Sscan(lines[6], &key, &id); err != nil {
		return true
	}
	var desc unix.SysvShmDesc
	if _, err := unix.SysvShmCtl(id, unix.IPC_STAT, &desc); err != nil || int(desc.Perm.Key) != key {
		return true // gone already, or the id is another's now
	}
	if desc.Nattch != 0 {
		return false
	}
	_, err = unix.SysvShmCtl(id, unix.IPC_RMID, nil)
	return err == nil
}

// lockedWriter keeps the log lines of servers started at the same time
// whole, whatever the writer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:4])
}

var unfitForFileNames = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// folderName is key made fit for a file name, readable and unique.
func folderName(key string) string {
	readable := strings.Trim(unfitForFileNames.ReplaceAllString(key, "-"), "-.")
	if len(readable) > 40 {
		readable = readable[len(readable)-40:]
	}
	return readable + "-" + keyHash(key)
}

// cluster returns key's entry, making an empty one for a new key.
func (m *Manager) cluster(key string) (*cluster, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, errors.New("localpg: the Manager is closed")
	}
	c, ok := m.clusters[key]
	if !ok {
		name := folderName(key)
		c = &cluster{
			key:     key,
			dataDir: filepath.Join(m.dataRoot, name),
			logPath: filepath.Join(m.stateDir, name+".log"),
		}
		m.clusters[key] = c
	}
	return c, nil
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// lockPair locks two clusters in key order, so that two Clones in opposite
// directions cannot wait on each other.
func lockPair(a, b *cluster) (unlock func()) {
	first, second := a, b
	if b.key < a.key {
		first, second = b, a
	}
	first.mu.Lock()
	second.mu.Lock()
	return func() {
		second.mu.Unlock()
		first.mu.Unlock()
	}
}

// Ensure returns the running server of cluster key (any string: the front
// uses the cluster ARN), creating and starting it from spec on first use;
// later calls return it (spec.Password, if different, is set with ALTER
// ROLE). A key whose data exists (a clone, a stopped server) starts from
// it. A spec whose MasterUsername or DatabaseName differs from the data's
// is refused, as AWS never changes them; so is another Major: a major
// version upgrade needs pg_upgrade, which the pinned builds lack.
func (m *Manager) Ensure(ctx context.Context, key string, spec Spec) (*Server, error) {
	c, err := m.cluster(key)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.isClosed() {
		return nil, errors.New("localpg: the Manager is closed")
	}
	if spec.Password == "" {
		spec.Password = c.password
	}
	if err := spec.validate(); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", key, err)
	}
	if c.hasData {
		if spec.Major != c.spec.Major {
			return nil, fmt.Errorf("localpg: cluster %s runs PostgreSQL %s, the spec asks for %s: a local server cannot change major (no pg_upgrade in the pinned builds); Drop it and Ensure it again to start empty on %s", key, c.spec.Major, spec.Major, spec.Major)
		}
		if spec.MasterUsername != c.spec.MasterUsername {
			return nil, fmt.Errorf("localpg: cluster %s has master user %q, the spec asks for %q: a cluster's master username never changes", key, c.spec.MasterUsername, spec.MasterUsername)
		}
		if spec.DatabaseName != c.spec.DatabaseName {
			return nil, fmt.Errorf("localpg: cluster %s has database %q, the spec asks for %q: a cluster's database name never changes", key, c.spec.DatabaseName, spec.DatabaseName)
		}
	}
	if c.server != nil && c.server.running() {
		if spec.Password != c.password {
			if err := c.server.setPassword(ctx, spec.Password); err != nil {
				return nil, err
			}
			c.password = spec.Password
		}
		return c.server, nil
	}
	began := time.Now()
	c.password = spec.Password
	if !c.hasData {
		if err := m.create(ctx, c, spec); err != nil {
			return nil, err
		}
	}
	if err := m.start(ctx, c, began); err != nil {
		return nil, err
	}
	return c.server, nil
}

// create makes c's data folder from the template of spec's release and
// master user.
func (m *Manager) create(ctx context.Context, c *cluster, spec Spec) error {
	binDir, err := m.binaries(ctx, spec.Major)
	if err != nil {
		return err
	}
	m.setupMu.Lock()
	tmpl, err := m.template(ctx, binDir, spec)
	m.setupMu.Unlock()
	if err != nil {
		return err
	}
	if err := copyData(tmpl, c.dataDir, m.acct, nil); err != nil {
		os.RemoveAll(c.dataDir)
		return fmt.Errorf("localpg: copying the template %s for cluster %s: %w", tmpl, c.key, err)
	}
	c.spec = Spec{Major: spec.Major, DatabaseName: spec.DatabaseName, MasterUsername: spec.MasterUsername}
	c.hasData = true
	return nil
}

func (m *Manager) binaries(ctx context.Context, major string) (string, error) {
	r, err := releaseOf(major)
	if err != nil {
		return "", err
	}
	m.setupMu.Lock()
	defer m.setupMu.Unlock()
	return install(ctx, r, m.cacheDir, m.binRoot)
}

// start starts c's server on its data and sets its master password. The
// log line tells the time since began.
func (m *Manager) start(ctx context.Context, c *cluster, began time.Time) error {
	binDir, err := m.binaries(ctx, c.spec.Major)
	if err != nil {
		return err
	}
	// Short: a socket's path must fit in 107 bytes.
	socketDir := filepath.Join(m.runDir, keyHash(c.key))
	if err := os.MkdirAll(socketDir, 0o700); err != nil {
		return err
	}
	if err := m.acct.chown(socketDir); err != nil {
		return err
	}
	s, err := startServer(ctx, m.sp, m.acct, binDir, c.dataDir, socketDir, c.logPath, c.spec.MasterUsername)
	if err != nil {
		return fmt.Errorf("cluster %s: %w", c.key, err)
	}
	if err := s.setPassword(ctx, c.password); err != nil {
		s.stop()
		return fmt.Errorf("localpg: cluster %s: %w; see %s", c.key, err, c.logPath)
	}
	c.server = s
	fmt.Fprintf(m.log, "localpg: started %s: PostgreSQL %s, %s@%s on 127.0.0.1:%d in %s\n",
		c.key, s.version, c.spec.MasterUsername, c.spec.DatabaseName, s.Port, time.Since(began).Round(time.Millisecond))
	return nil
}

// stop stops c's server if it runs; c.mu must be held.
func (m *Manager) stop(c *cluster) error {
	if c.server == nil {
		return nil
	}
	s := c.server
	c.server = nil
	if !s.running() {
		return nil
	}
	err := s.stop()
	fmt.Fprintf(m.log, "localpg: stopped %s (127.0.0.1:%d)\n", c.key, s.Port)
	return err
}

// SetPassword records a new master password for key and, if its server
// runs, sets it (ALTER ROLE over the socket). An unknown key's is
// remembered for when it is created.
func (m *Manager) SetPassword(ctx context.Context, key, password string) error {
	c, err := m.cluster(key)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if password == "" {
		return fmt.Errorf("localpg: cluster %s: the new master password is empty", key)
	}
	if c.server != nil && c.server.running() {
		if err := c.server.setPassword(ctx, password); err != nil {
			return err
		}
	}
	c.password = password
	return nil
}

// Clone makes key to start as a copy of from's data, rows included (a
// restore from a snapshot or a point in time), with to's spec: fields left
// empty are from's, the master password is set at to's first start. From
// may be running (it stays up: see cloneRunning) or stopped; to must have
// no data (Drop it first) and does not start until Ensure.
func (m *Manager) Clone(ctx context.Context, from, to string, spec Spec) error {
	if from == to {
		return fmt.Errorf("localpg: Clone of %s onto itself", from)
	}
	src, err := m.cluster(from)
	if err != nil {
		return err
	}
	dst, err := m.cluster(to)
	if err != nil {
		return err
	}
	unlock := lockPair(src, dst)
	defer unlock()
	if !src.hasData {
		return fmt.Errorf("localpg: Clone: cluster %s has no data: Ensure it (or Clone into it) first", from)
	}
	if dst.hasData {
		return fmt.Errorf("localpg: Clone: cluster %s already has data: Drop it first", to)
	}
	spec, err = cloneSpec(src, dst, spec)
	if err != nil {
		return fmt.Errorf("localpg: Clone %s to %s: %w", from, to, err)
	}
	if src.server != nil && src.server.running() {
		err = cloneRunning(ctx, src.server, dst.dataDir, m.acct)
	} else {
		err = copyData(src.dataDir, dst.dataDir, m.acct, nil)
	}
	if err != nil {
		os.RemoveAll(dst.dataDir)
		return fmt.Errorf("localpg: Clone %s to %s: %w", from, to, err)
	}
	dst.password = spec.Password
	spec.Password = ""
	dst.spec = spec
	dst.hasData = true
	return nil
}

// cloneSpec fills what spec leaves empty from the source and refuses what a
// restore cannot change.
func cloneSpec(src, dst *cluster, spec Spec) (Spec, error) {
	if spec.Major == "" {
		spec.Major = src.spec.Major
	}
	if spec.MasterUsername == "" {
		spec.MasterUsername = src.spec.MasterUsername
	}
	if spec.DatabaseName == "" {
		spec.DatabaseName = src.spec.DatabaseName
	}
	if spec.Password == "" {
		spec.Password = dst.password
	}
	if spec.Password == "" {
		spec.Password = src.password
	}
	var errs []error
	if spec.Major != src.spec.Major {
		errs = append(errs, fmt.Errorf("the source runs PostgreSQL %s, the spec asks for %s: restoring into another major needs pg_upgrade, which the pinned builds lack", src.spec.Major, spec.Major))
	}
	if spec.MasterUsername != src.spec.MasterUsername {
		errs = append(errs, fmt.Errorf("MasterUsername %q: a restored cluster keeps the source's master user %q", spec.MasterUsername, src.spec.MasterUsername))
	}
	if spec.DatabaseName != src.spec.DatabaseName {
		errs = append(errs, fmt.Errorf("DatabaseName %q: a restored cluster keeps the source's database %q", spec.DatabaseName, src.spec.DatabaseName))
	}
	return spec, errors.Join(errs...)
}

// cloneRunning copies a running server's data without stopping it, as a
// base backup does: pg_backup_start (an immediate checkpoint), copy the
// files, pg_backup_stop, then copy the WAL written meanwhile and the
// backup_label it returns. At the copy's first start PostgreSQL replays
// that WAL to a consistent state. Stopping the source instead would drop
// every open session, which a snapshot on AWS does not do, and the pinned
// builds have no pg_basebackup.
func cloneRunning(ctx context.Context, s *Server, dst string, acct account) error {
	conn, err := s.admin(ctx)
	if err != nil {
		return err
	}
	// Ending the session also ends a backup left unfinished by an error.
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT pg_backup_start('localpg clone', true)"); err != nil {
		return fmt.Errorf("pg_backup_start: %w", err)
	}
	wal := "pg_wal" + string(filepath.Separator)
	if err := copyData(s.dataDir, dst, acct, func(rel string) bool { return strings.HasPrefix(rel, wal) }); err != nil {
		return err
	}
	var label, tablespaceMap string
	if err := conn.QueryRow(ctx, "SELECT labelfile, coalesce(spcmapfile, '') FROM pg_backup_stop(false)").Scan(&label, &tablespaceMap); err != nil {
		return fmt.Errorf("pg_backup_stop: %w", err)
	}
	if err := copyData(filepath.Join(s.dataDir, "pg_wal"), filepath.Join(dst, "pg_wal"), acct, nil); err != nil {
		return err
	}
	files := map[string]string{"backup_label": label}
	if tablespaceMap != "" {
		files["tablespace_map"] = tablespaceMap
	}
	for name, content := range files {
		path := filepath.Join(dst, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return err
		}
		if err := acct.chown(path); err != nil {
			return err
		}
	}
	return nil
}

// Drop stops key's server and deletes its data (the cluster is gone). An
// unknown key is no error.
func (m *Manager) Drop(ctx context.Context, key string) error {
	c, err := m.cluster(key)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	stopErr := m.stop(c)
	if err := os.RemoveAll(c.dataDir); err != nil {
		return errors.Join(stopErr, err)
	}
	c.spec, c.password, c.hasData = Spec{}, "", false
	return stopErr
}

// Close stops every server and removes this Manager's sockets and data (it
// lives as long as the Manager, as the emulator's state does); no process is
// left. The logs in StateDir stay.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var clusters []*cluster
	for _, c := range m.clusters {
		clusters = append(clusters, c)
	}
	m.mu.Unlock()
	errs := make([]error, len(clusters))
	var wg sync.WaitGroup
	for i, c := range clusters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.mu.Lock()
			defer c.mu.Unlock()
			errs[i] = m.stop(c)
		}()
	}
	wg.Wait()
	m.sp.close()
	os.Remove(filepath.Join(m.stateDir, "data"))
	errs = append(errs, os.RemoveAll(m.runDir))
	return errors.Join(errs...)
}
