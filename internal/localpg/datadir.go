package localpg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// templateFormat changes whenever the way a template is made changes, so
// that templates cached by an older version of this package are not used.
const templateFormat = "t2"

// hbaConf lets the package's own admin operations in through the unix
// socket, in a folder only the server's account can enter, and makes every
// other login, the Data API's included, a real password login over TCP, as
// on Aurora.
const hbaConf = `local all all trust
host all all 127.0.0.1/32 scram-sha-256
`

// template returns a data folder of binDir's release with spec's master
// user as the bootstrap superuser and spec's database, making it the first
// time: initdb, then one start to create the database. That costs 0.4 to
// 0.7 s of CPU, copying the result about 60 ms (BenchmarkInitdb,
// BenchmarkTemplateCopy), so it is done once per release, master username
// and database name, and cached next to the binaries. The master password
// is set at each cluster's start.
func (m *Manager) template(ctx context.Context, binDir string, spec Spec) (string, error) {
	dir := filepath.Join(m.binRoot, "templates", strings.Join([]string{filepath.Base(binDir), spec.MasterUsername, spec.DatabaseName, templateFormat}, "-"))
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".initdb-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := m.acct.chown(tmp); err != nil {
		return "", err
	}
	if err := m.initdb(ctx, binDir, tmp, spec.MasterUsername); err != nil {
		return "", fmt.Errorf("localpg: making the template %s: %w", filepath.Base(dir), err)
	}
	if err := m.createDatabase(ctx, binDir, tmp, spec); err != nil {
		return "", fmt.Errorf("localpg: making the template %s: %w", filepath.Base(dir), err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "PG_VERSION")); statErr == nil {
			return dir, nil // another process made it first
		}
		return "", err
	}
	return dir, nil
}

func (m *Manager) initdb(ctx context.Context, binDir, dataDir, master string) error {
	var output bytes.Buffer
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "bin", "initdb"),
		"--pgdata", dataDir, "--username", master, "--auth", "trust",
		// Aurora's databases are en_US.UTF-8; C sorts by bytes but needs no
		// locale installed on this machine.
		"--encoding", "UTF8", "--no-locale",
		"--no-sync", "--no-instructions")
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := m.sp.start(cmd, m.acct); err != nil {
		return fmt.Errorf("starting initdb: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("initdb failed (%w):\n%s", err, output.Bytes())
	}
	hba := filepath.Join(dataDir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte(hbaConf), 0o600); err != nil {
		return err
	}
	return m.acct.chown(hba)
}

// createDatabase starts a server on dataDir just long enough to create
// spec's database.
func (m *Manager) createDatabase(ctx context.Context, binDir, dataDir string, spec Spec) error {
	runDir, err := os.MkdirTemp(m.runDir, "initdb-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(runDir)
	if err := m.acct.chown(runDir); err != nil {
		return err
	}
	s, err := startServer(ctx, m.sp, m.acct, binDir, dataDir, runDir, filepath.Join(runDir, "log"), spec.MasterUsername)
	if err != nil {
		return err
	}
	err = s.createDatabase(ctx, spec.DatabaseName)
	return errors.Join(err, s.stop())
}

// copyData copies the data folder src to dst, which must not exist, leaving
// out what belongs to a running server rather than to the data, and what
// skip says. Files are copied inside the kernel (copy_file_range) where the
// file system allows.
func copyData(src, dst string, acct account, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		switch rel {
		case "postmaster.pid", "postmaster.opts":
			return nil
		}
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return copyEntry(path, filepath.Join(dst, rel), d, acct)
	})
}

func copyEntry(src, dst string, d fs.DirEntry, acct account) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	switch {
	case d.IsDir():
		if err := os.Mkdir(dst, info.Mode().Perm()); err != nil && !os.IsExist(err) {
			return err
		}
	case d.Type()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		if err := os.Symlink(target, dst); err != nil {
			return err
		}
	default:
		if err := copyFile(src, dst, info.Mode().Perm()); err != nil {
			if os.IsNotExist(err) {
				return nil // a running server removed it (a temporary file)
			}
			return err
		}
	}
	return acct.chown(dst)
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	return err
}
