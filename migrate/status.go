package migrate

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// HistoryTable records the applied files, one row each: version (the
// primary key, so a file is recorded once however many runs race), name,
// checksum (sha256 hex of the file), applied_at (timestamptz) and
// applied_by (the caller's identity). It is in public, named after the
// project, and always schema-qualified: every database has the public
// schema, the name says whose table it is to anyone listing the tables,
// and a migration's own SET search_path cannot move it.
const HistoryTable = "public.aurora_stages_migrations"

// LockTable holds at most one row: the run that is applying a file
// outside a transaction, and until when (see LockLease).
const LockTable = "public.aurora_stages_migrations_lock"

var createTables = []string{
	`CREATE TABLE IF NOT EXISTS ` + HistoryTable + ` (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	checksum   text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	applied_by text NOT NULL
)`,
	`COMMENT ON TABLE ` + HistoryTable + ` IS 'The files of migrations/ applied here, one row each, written by the aurora-stages migrate package: do not edit'`,
	`CREATE TABLE IF NOT EXISTS ` + LockTable + ` (
	id         integer PRIMARY KEY CHECK (id = 1),
	holder     text NOT NULL,
	expires_at timestamptz NOT NULL
)`,
}

// utcText is how the queries return a timestamptz: the Data API's own
// text for it drops the zone, so the package asks for RFC 3339.
const utcText = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

// Applied is a row of the history.
type Applied struct {
	Version                   int
	Name, Checksum, AppliedBy string
	AppliedAt                 time.Time
}

// File is the file name the row was applied from.
func (a Applied) File() string { return fmt.Sprintf("%04d_%s.sql", a.Version, a.Name) }

// Status is the history compared with the files.
type Status struct {
	// Applied is the history, by version.
	Applied []Applied
	// Pending are the files not applied, by version (OutOfOrder ones too).
	Pending []Migration
	// Changed are applied files whose name or checksum is not the one
	// applied.
	Changed []Changed
	// Missing are applied versions with no file.
	Missing []Applied
	// OutOfOrder are pending files below the highest applied version.
	OutOfOrder []Migration
	// Lock is the run applying a file outside a transaction, if any.
	Lock *Lock
}

// Changed is an applied file that changed since.
type Changed struct {
	Applied   Applied
	Migration Migration
}

// Lock is the row of LockTable.
type Lock struct {
	Holder    string
	ExpiresAt time.Time
}

// Check is the refusals Apply and Plan make, all at once: a changed file,
// an applied version with no file (the repository no longer describes the
// stage's schema; applying more on top would hide it, so it is refused
// rather than warned about), and, unless allowOutOfOrder, a pending file
// below the highest applied version.
func (s *Status) Check(allowOutOfOrder bool) error {
	var problems []error
	for _, c := range s.Changed {
		if c.Applied.Name != c.Migration.Name {
			problems = append(problems, fmt.Errorf("%s: version %d was applied as %s on %s by %s: rename the file back (an applied file keeps its name)", c.Migration.Path, c.Applied.Version, c.Applied.File(), c.Applied.AppliedAt.Format(time.RFC3339), c.Applied.AppliedBy))
			continue
		}
		problems = append(problems, fmt.Errorf("%s changed after it was applied on %s by %s (checksum %s, now %s): restore it as applied (git log -p %s) and write the change as a new migration", c.Migration.Path, c.Applied.AppliedAt.Format(time.RFC3339), c.Applied.AppliedBy, c.Applied.Checksum, c.Migration.Checksum, c.Migration.Path))
	}
	for _, a := range s.Missing {
		problems = append(problems, fmt.Errorf("version %d (%s) was applied on %s by %s but no file has it: restore the file; if its change was undone by hand, delete its row from %s", a.Version, a.File(), a.AppliedAt.Format(time.RFC3339), a.AppliedBy, HistoryTable))
	}
	if !allowOutOfOrder && len(s.OutOfOrder) > 0 {
		highest := s.Applied[len(s.Applied)-1]
		for _, m := range s.OutOfOrder {
			problems = append(problems, fmt.Errorf("%s is pending below version %d (%s), which is applied: it would run after migrations written later; renumber it above %04d, or allow out-of-order migrations (Options.AllowOutOfOrder) if it does not depend on their order", m.Path, highest.Version, highest.File(), highest.Version))
		}
	}
	return errors.Join(problems...)
}

// ReadStatus reads the history and compares it with the files (as Load
// returns them). It creates nothing: a database without the history table
// has nothing applied.
func ReadStatus(ctx context.Context, t Target, migrations []Migration) (*Status, error) {
	status, _, err := readStatus(ctx, t, migrations)
	return status, err
}

// readStatus also says whether the history table exists.
func readStatus(ctx context.Context, t Target, migrations []Migration) (*Status, bool, error) {
	exists, err := t.execute(ctx, "", `SELECT to_regclass('`+HistoryTable+`')::text, to_regclass('`+LockTable+`')::text`)
	if err != nil {
		return nil, false, fmt.Errorf("looking for %s on %s: %w", HistoryTable, t.ResourceARN, failed(err))
	}
	status := &Status{}
	tableExists := len(exists.Records) == 1 && !fieldIsNull(exists.Records[0][0])
	if tableExists {
		if status.Applied, err = readHistory(ctx, t, ""); err != nil {
			return nil, false, err
		}
	}
	if len(exists.Records) == 1 && !fieldIsNull(exists.Records[0][1]) {
		if status.Lock, err = readLock(ctx, t, ""); err != nil {
			return nil, false, err
		}
	}
	files := map[int]Migration{}
	for _, m := range migrations {
		files[m.Version] = m
	}
	applied := map[int]bool{}
	for _, a := range status.Applied {
		applied[a.Version] = true
		m, ok := files[a.Version]
		switch {
		case !ok:
			status.Missing = append(status.Missing, a)
		case m.Name != a.Name || m.Checksum != a.Checksum:
			status.Changed = append(status.Changed, Changed{Applied: a, Migration: m})
		}
	}
	for _, m := range migrations {
		if applied[m.Version] {
			continue
		}
		status.Pending = append(status.Pending, m)
		if len(status.Applied) > 0 && m.Version < status.Applied[len(status.Applied)-1].Version {
			status.OutOfOrder = append(status.OutOfOrder, m)
		}
	}
	return status, tableExists, nil
}

// readHistory reads the history, in transaction tx ("" for none).
func readHistory(ctx context.Context, t Target, tx string) ([]Applied, error) {
	out, err := t.execute(ctx, tx, `SELECT version, name, checksum, applied_by, `+fmt.Sprintf(utcText, "applied_at")+` FROM `+HistoryTable+` ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("reading %s on %s: %w", HistoryTable, t.ResourceARN, failed(err))
	}
	var history []Applied
	for _, row := range out.Records {
		var a Applied
		var appliedAt string
		var errs [5]error
		a.Version, errs[0] = rowField[int](row, 0, HistoryTable, "version")
		a.Name, errs[1] = rowField[string](row, 1, HistoryTable, "name")
		a.Checksum, errs[2] = rowField[string](row, 2, HistoryTable, "checksum")
		a.AppliedBy, errs[3] = rowField[string](row, 3, HistoryTable, "applied_by")
		appliedAt, errs[4] = rowField[string](row, 4, HistoryTable, "applied_at")
		if err := errors.Join(errs[:]...); err != nil {
			return nil, err
		}
		if a.AppliedAt, err = time.Parse(time.RFC3339Nano, appliedAt); err != nil {
			return nil, fmt.Errorf("%s: version %d's applied_at %q: %w", HistoryTable, a.Version, appliedAt, err)
		}
		history = append(history, a)
	}
	sort.Slice(history, func(i, j int) bool { return history[i].Version < history[j].Version })
	return history, nil
}

// readLock reads LockTable's row if it has not expired, in transaction tx
// ("" for none); nil when there is none.
func readLock(ctx context.Context, t Target, tx string) (*Lock, error) {
	out, err := t.execute(ctx, tx, `SELECT holder, `+fmt.Sprintf(utcText, "expires_at")+` FROM `+LockTable+` WHERE expires_at > clock_timestamp()`)
	if err != nil {
		return nil, fmt.Errorf("reading %s on %s: %w", LockTable, t.ResourceARN, failed(err))
	}
	if len(out.Records) == 0 {
		return nil, nil
	}
	holder, err := rowField[string](out.Records[0], 0, LockTable, "holder")
	if err != nil {
		return nil, err
	}
	expires, err := rowField[string](out.Records[0], 1, LockTable, "expires_at")
	if err != nil {
		return nil, err
	}
	lock := &Lock{Holder: holder}
	if lock.ExpiresAt, err = time.Parse(time.RFC3339Nano, expires); err != nil {
		return nil, fmt.Errorf("%s: expires_at %q: %w", LockTable, expires, err)
	}
	return lock, nil
}
