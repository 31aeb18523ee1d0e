package localpg

import (
	"os/exec"
	"runtime"
	"syscall"
)

// spawner starts initdb and every postgres of a Manager from one OS thread
// that lives exactly as long as the Manager. The kernel sends a child's
// parent-death signal when the thread that forked it exits, not the
// process; Go may start a child from any thread, and a thread can end
// while the program goes on, which would kill a healthy server. A thread
// held by one goroutine for the Manager's life ends only when the Manager
// closes or the program dies, and then every server started from it is
// killed, so a killed test or `make local` leaves no postgres behind.
type spawner struct {
	requests chan spawnRequest
}

type spawnRequest struct {
	cmd    *exec.Cmd
	result chan error
}

func newSpawner() *spawner {
	s := &spawner{requests: make(chan spawnRequest)}
	go func() {
		// Never unlocked: when the loop ends, the thread goes with it.
		runtime.LockOSThread()
		for req := range s.requests {
			req.result <- req.cmd.Start()
		}
	}()
	return s
}

// start starts cmd as a child that is killed if the program dies, in a
// process group of its own (so Ctrl-C in a terminal reaches the program,
// which stops the servers in order, rather than each postgres), as acct.
func (s *spawner) start(cmd *exec.Cmd, acct account) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:    true,
		Pdeathsig:  syscall.SIGKILL,
		Credential: acct.credential(),
	}
	result := make(chan error, 1)
	s.requests <- spawnRequest{cmd: cmd, result: result}
	return <-result
}

func (s *spawner) close() {
	close(s.requests)
}

// serverEnv is the whole environment of initdb and postgres: nothing of
// the caller's (PGDATA, PGPORT, a locale that this system lacks) can change
// how they behave.
func serverEnv() []string {
	return []string{"LC_ALL=C", "TZ=UTC", "PATH=/usr/bin:/bin"}
}
