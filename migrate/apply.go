package migrate

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

// LockKey is the pg_advisory_xact_lock key every run takes around a file.
// It is fixed so that all runs agree on it; advisory locks are per
// database, so stages sharing a cluster do not wait for one another. An
// application must not take this key itself.
const LockKey int64 = 7_302_453_187_230_511_136

// LockWait is how long a run waits for another run's advisory lock before
// it is refused: under the Data API's 45-second call limit, which would
// otherwise cut the wait off with a less helpful StatementTimeoutException.
const LockWait = 30 * time.Second

// lockWait is LockWait, shortened by the tests of a run that waits.
var lockWait = LockWait

// LockLease is how long the lock row of a file applied outside a
// transaction keeps other runs out: longer than one statement can run
// (the Data API's 45 seconds) with a caller's Retry waiting for a resume,
// short enough that a killed run's row does not block a stage for long.
const LockLease = 5 * time.Minute

// Options are a run's settings.
type Options struct {
	// AppliedBy is the caller's identity, e.g. an STS ARN; the history
	// records it. Apply requires it.
	AppliedBy string
	// AllowOutOfOrder applies files below the highest applied version
	// instead of refusing them.
	AllowOutOfOrder bool
	// Progress gets a line per file; nil: none.
	Progress io.Writer
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// Plan is what Apply would run, after the same checks, changing nothing.
func Plan(ctx context.Context, t Target, migrations []Migration, opts Options) ([]Migration, error) {
	status, err := ReadStatus(ctx, t, migrations)
	if err != nil {
		return nil, err
	}
	if err := status.Check(opts.AllowOutOfOrder); err != nil {
		return nil, err
	}
	return status.Pending, nil
}

// Apply applies the pending files in version order, each in a transaction
// of its own with its history row (or, for a NoTransaction file, as the
// package documentation describes), and returns those it applied. It
// stops at the first file that fails; the files before it stay applied.
// Nothing runs when the checks of Status.Check refuse.
func Apply(ctx context.Context, t Target, migrations []Migration, opts Options) ([]Migration, error) {
	if strings.TrimSpace(opts.AppliedBy) == "" {
		return nil, errors.New("migrate.Options.AppliedBy is empty: pass the caller's identity (the STS caller ARN), which the history records")
	}
	status, tablesExist, err := readStatus(ctx, t, migrations)
	if err != nil {
		return nil, err
	}
	if err := status.Check(opts.AllowOutOfOrder); err != nil {
		return nil, err
	}
	r := run{Target: t, opts: opts, tablesExist: tablesExist, holder: opts.AppliedBy + " (run " + rand.Text() + ")"}
	var applied []Migration
	for _, m := range status.Pending {
		start := time.Now()
		var ran bool
		if m.NoTransaction {
			ran, err = r.applyOutsideTransaction(ctx, m)
		} else {
			ran, err = r.applyInTransaction(ctx, m)
		}
		if err != nil {
			return applied, err
		}
		if !ran {
			opts.progress("%s: skipped, another run applied it meanwhile", m.File)
			continue
		}
		applied = append(applied, m)
		opts.progress("%s: applied, %d statement(s) in %s", m.File, len(m.Statements), time.Since(start).Round(time.Millisecond))
	}
	return applied, nil
}

// run is one Apply's state.
type run struct {
	Target
	opts Options
	// holder names this run in the lock row: the caller and a random id,
	// so that two runs by one caller are told apart.
	holder      string
	tablesExist bool
}

// applyInTransaction runs m and records it in one transaction; false when
// another run applied m meanwhile.
func (r *run) applyInTransaction(ctx context.Context, m Migration) (bool, error) {
	tx, err := r.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: %w", m.Path, err)
	}
	if done, err := r.lockAndCheck(ctx, tx, m); err != nil || done {
		return false, r.endWith(ctx, tx, m, err)
	}
	for _, s := range m.Statements {
		if _, err := r.execute(ctx, tx, s.SQL); err != nil {
			return false, r.endWith(ctx, tx, m, fmt.Errorf("%s:%d: %w", m.Path, s.Line, failed(err)))
		}
	}
	if err := r.record(ctx, tx, m); err != nil {
		return false, r.endWith(ctx, tx, m, err)
	}
	if err := r.commit(ctx, tx); err != nil {
		return false, r.endWith(ctx, tx, m, fmt.Errorf("%s: committing: %w", m.Path, failed(err)))
	}
	r.tablesExist = true
	return true, nil
}

// endWith rolls tx back and returns err (nil when m was applied meanwhile)
// with what the reader needs to know: nothing of the file stayed.
func (r *run) endWith(ctx context.Context, tx string, m Migration, err error) error {
	rollbackErr := r.rollback(ctx, tx)
	switch {
	case err == nil && rollbackErr != nil:
		return fmt.Errorf("%s: ending the transaction that found it applied: %w", m.Path, failed(rollbackErr))
	case err == nil:
		return nil
	case rollbackErr != nil:
		return fmt.Errorf("%w\nand rolling back failed (%s): the Data API rolls the transaction back itself after 3 minutes without a call; nothing of %s is committed", err, failed(rollbackErr), m.File)
	}
	return fmt.Errorf("%w\n%s was rolled back: nothing of it is applied", err, m.File)
}

// lockAndCheck takes the advisory lock in tx, creates the history tables
// when this run has not seen them, refuses while another run holds the
// lock row, and says whether m got applied meanwhile.
func (r *run) lockAndCheck(ctx context.Context, tx string, m Migration) (bool, error) {
	if _, err := r.execute(ctx, tx, fmt.Sprintf("SET LOCAL lock_timeout = '%dms'", lockWait.Milliseconds())); err != nil {
		return false, fmt.Errorf("%s: limiting the wait for the migrations lock: %w", m.Path, failed(err))
	}
	// In FROM, so that the Data API is not asked to return a void column.
	if _, err := r.execute(ctx, tx, fmt.Sprintf("SELECT 1 FROM pg_advisory_xact_lock(%d)", LockKey)); err != nil {
		err = failed(err)
		// 55P03 is lock_not_available: lock_timeout ran out.
		if strings.Contains(err.Error(), "SQLState: 55P03") {
			return false, fmt.Errorf("%s: another run has been applying a migration to %s for more than %s (or was killed: its transaction ends when the Data API rolls it back, 3 minutes after its last call): try again later; %w", m.Path, r.ResourceARN, lockWait, err)
		}
		return false, fmt.Errorf("%s: taking the migrations lock: %w", m.Path, err)
	}
	// The file's own statements wait for their locks as they would anywhere.
	if _, err := r.execute(ctx, tx, "SET LOCAL lock_timeout TO DEFAULT"); err != nil {
		return false, fmt.Errorf("%s: resetting lock_timeout after taking the migrations lock: %w", m.Path, failed(err))
	}
	if !r.tablesExist {
		for _, sql := range createTables {
			if _, err := r.execute(ctx, tx, sql); err != nil {
				return false, fmt.Errorf("creating %s: %w", HistoryTable, failed(err))
			}
		}
	}
	lock, err := readLock(ctx, r.Target, tx)
	if err != nil {
		return false, err
	}
	if lock != nil {
		return false, fmt.Errorf("%s: %s is applying a migration outside a transaction; its lock expires at %s: try again then (a killed run's lock row simply expires)", m.Path, lock.Holder, lock.ExpiresAt.Format(time.RFC3339))
	}
	out, err := r.execute(ctx, tx, `SELECT name, checksum FROM `+HistoryTable+` WHERE version = :version`, longParam("version", m.Version))
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", HistoryTable, failed(err))
	}
	if len(out.Records) == 0 {
		return false, nil
	}
	name, errName := rowField[string](out.Records[0], 0, HistoryTable, "name")
	checksum, errChecksum := rowField[string](out.Records[0], 1, HistoryTable, "checksum")
	if err := errors.Join(errName, errChecksum); err != nil {
		return false, err
	}
	if name != m.Name || checksum != m.Checksum {
		return false, fmt.Errorf("%s: another run applied version %d meanwhile from a different file (%04d_%s.sql, checksum %s): compare the two runs' checkouts", m.Path, m.Version, m.Version, name, checksum)
	}
	return true, nil
}

const insertHistory = `INSERT INTO ` + HistoryTable + ` (version, name, checksum, applied_by) VALUES (:version, :name, :checksum, :applied_by)`

func (r *run) historyRow(m Migration) []types.SqlParameter {
	return []types.SqlParameter{longParam("version", m.Version), stringParam("name", m.Name), stringParam("checksum", m.Checksum), stringParam("applied_by", r.opts.AppliedBy)}
}

// record inserts m's history row in tx.
func (r *run) record(ctx context.Context, tx string, m Migration) error {
	if _, err := r.execute(ctx, tx, insertHistory, r.historyRow(m)...); err != nil {
		return fmt.Errorf("%s: recording it in %s: %w", m.Path, HistoryTable, failed(err))
	}
	return nil
}

// applyOutsideTransaction runs a NoTransaction file: the lock row is taken
// (under the advisory lock, so no file in a transaction is running), the
// statement runs on its own, then the history row is written and the lock
// row removed in one transaction.
func (r *run) applyOutsideTransaction(ctx context.Context, m Migration) (bool, error) {
	tx, err := r.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%s: %w", m.Path, err)
	}
	if done, err := r.lockAndCheck(ctx, tx, m); err != nil || done {
		return false, r.endWith(ctx, tx, m, err)
	}
	_, err = r.execute(ctx, tx, `INSERT INTO `+LockTable+` (id, holder, expires_at) VALUES (1, :holder, clock_timestamp() + make_interval(secs => :lease))
ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at`,
		stringParam("holder", r.holder), longParam("lease", int(LockLease.Seconds())))
	if err != nil {
		return false, r.endWith(ctx, tx, m, fmt.Errorf("%s: taking the lock row of %s: %w", m.Path, LockTable, failed(err)))
	}
	if err := r.commit(ctx, tx); err != nil {
		return false, r.endWith(ctx, tx, m, fmt.Errorf("%s: taking the lock row of %s: %w", m.Path, LockTable, failed(err)))
	}
	r.tablesExist = true
	s := m.Statements[0]
	if _, err := r.execute(ctx, "", s.SQL); err != nil {
		failure := fmt.Errorf("%s:%d: %w\n%s ran outside a transaction (%s): what the statement did before it failed stays, and the file is not recorded; a failed CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS skips: drop it, then run again", m.Path, s.Line, failed(err), m.File, NoTransactionMarker)
		return false, errors.Join(failure, r.releaseLock(ctx))
	}
	tx, err = r.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("%s ran but is not recorded: %w; its statement must be idempotent, so run again", m.Path, err)
	}
	// The lock row, not the advisory lock, has kept others out: a row
	// another run wrote after this one's lease ran out must win, so the
	// history row is written only if no other run recorded the file.
	_, err = r.execute(ctx, tx, insertHistory+` ON CONFLICT (version) DO NOTHING`, r.historyRow(m)...)
	if err == nil {
		_, err = r.execute(ctx, tx, `DELETE FROM `+LockTable+` WHERE holder = :holder`, stringParam("holder", r.holder))
	}
	if err == nil {
		err = r.commit(ctx, tx)
	}
	if err != nil {
		return false, errors.Join(fmt.Errorf("%s ran but is not recorded: %w; its statement must be idempotent, so run again", m.Path, failed(err)), failed(r.rollback(ctx, tx)))
	}
	return true, nil
}

// releaseLock removes this run's lock row after a failure, so that the
// next run need not wait for it to expire.
func (r *run) releaseLock(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	if _, err := r.execute(ctx, "", `DELETE FROM `+LockTable+` WHERE holder = :holder`, stringParam("holder", r.holder)); err != nil {
		return fmt.Errorf("removing the lock row of %s: %w: it expires by itself within %s", LockTable, failed(err), LockLease)
	}
	return nil
}
