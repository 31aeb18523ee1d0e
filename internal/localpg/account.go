package localpg

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// account is who runs initdb and postgres. Both refuse to run as root
// ("cannot be run as root"), and every machine of this project, CI's
// included, runs as root; so root hands them to nobody:nogroup. That account
// exists on every Debian system (uid and gid 65534), so nothing is added to
// /etc/passwd and no useradd is needed, and it owns no other files here.
// Anyone else runs them as themselves.
type account struct {
	uid, gid uint32
	switched bool // root handing the server to the unprivileged account
}

// serverUser is the account root runs PostgreSQL as.
const serverUser = "nobody"

func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return account{}, fmt.Errorf("localpg: running as root, PostgreSQL must run as the unprivileged user %q, which this system lacks: %w; create it (useradd --system %s) or run as a normal user", serverUser, err, serverUser)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return account{}, err
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return account{}, err
	}
	return account{uid: uint32(uid), gid: uint32(gid), switched: true}, nil
}

// credential is what initdb and postgres are started with: nil (the
// caller's own) unless root hands them to the unprivileged account.
func (a account) credential() *syscall.Credential {
	if !a.switched {
		return nil
	}
	// Groups left empty: root's supplementary groups are dropped.
	return &syscall.Credential{Uid: a.uid, Gid: a.gid}
}

// chown gives path to the account when root created it for the server.
func (a account) chown(path string) error {
	if !a.switched {
		return nil
	}
	return os.Lchown(path, int(a.uid), int(a.gid))
}

// canTraverse reports whether the account can reach inside dir: it must be
// allowed to search dir and every folder above it. /root is mode 700, so
// nothing under the root's home (its Go and user caches included) is
// reachable by nobody.
func (a account) canTraverse(dir string) bool {
	if !a.switched {
		return true
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for p := abs; ; p = filepath.Dir(p) {
		info, err := os.Stat(p)
		if err != nil {
			return false
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		perm := info.Mode().Perm()
		var searchable bool
		switch {
		case st.Uid == a.uid:
			searchable = perm&0o100 != 0
		case st.Gid == a.gid:
			searchable = perm&0o010 != 0
		default:
			searchable = perm&0o001 != 0
		}
		if !searchable {
			return false
		}
		if p == filepath.Dir(p) {
			return true
		}
	}
}
