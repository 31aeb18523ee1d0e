package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Migration is one file of the migrations folder.
type Migration struct {
	Version int
	// Name is the file's description part: "create_movies".
	Name string
	// File is the base name: "0001_create_movies.sql".
	File string
	// Path is the file as Load read it (dir joined with File); errors name
	// it so that a reader can open it.
	Path string
	// Checksum is the sha256 of the file's bytes, in hex.
	Checksum   string
	Statements []Statement
	// NoTransaction is set by the file's first line being NoTransactionMarker.
	NoTransaction bool
}

// Statement is one statement of a file, as the Data API is sent it.
type Statement struct {
	SQL string
	// Line is the line of the file the statement starts on, from 1.
	Line int
}

// NoTransactionMarker, as a file's first line, runs that file outside a
// transaction (see the package documentation for the risk).
const NoTransactionMarker = "-- migrate: no-transaction"

// fileName is NNNN_description.sql. Four digits keep the folder's listing
// in version order; the description is what the history's name column
// holds.
var fileName = regexp.MustCompile(`^([0-9]{4})_([a-z0-9]+(?:_[a-z0-9]+)*)\.sql$`)

// looksLikeMigration catches the names one meant as migrations but got
// wrong (0003-add.sql, 3_add.sql, 0003_Add.SQL), which would otherwise be
// skipped in silence; other files (a README) are left alone.
func looksLikeMigration(name string) bool {
	return strings.HasSuffix(strings.ToLower(name), ".sql") || (name != "" && name[0] >= '0' && name[0] <= '9')
}

// Load reads the migrations of dir, sorted by version. It refuses, all at
// once: file names that are not NNNN_description.sql, two files of one
// version, files without a statement, files PostgreSQL cannot parse, and
// statements that cannot run in a transaction in a file without the
// NoTransactionMarker.
func Load(dir string) ([]Migration, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the migrations folder: %w (it holds the NNNN_description.sql files: create it, or name the one there is)", err)
	}
	var migrations []Migration
	var problems []error
	byVersion := map[int]string{}
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || !looksLikeMigration(name) {
			continue
		}
		path := filepath.Join(dir, name)
		match := fileName.FindStringSubmatch(name)
		if match == nil {
			problems = append(problems, fmt.Errorf("%s: the name is not NNNN_description.sql (four digits, an underscore, lower-case letters, digits and underscores): rename it, e.g. %s", path, suggestName(name)))
			continue
		}
		version, _ := strconv.Atoi(match[1])
		if version == 0 {
			problems = append(problems, fmt.Errorf("%s: version 0000 is not a version: versions start at 0001", path))
			continue
		}
		if other, ok := byVersion[version]; ok {
			problems = append(problems, fmt.Errorf("%s: version %s is also %s: give one of them the next free version", path, match[1], other))
			continue
		}
		byVersion[version] = name
		content, err := os.ReadFile(path)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		m, err := parseMigration(path, content)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		m.Version, m.Name, m.File, m.Path = version, match[2], name, path
		migrations = append(migrations, m)
	}
	if len(problems) > 0 {
		return nil, errors.Join(problems...)
	}
	sort.Slice(migrations, func(i, j int) bool { return migrations[i].Version < migrations[j].Version })
	return migrations, nil
}

// parseMigration splits one file's content and checks it; path is for the
// errors.
func parseMigration(path string, content []byte) (Migration, error) {
	sum := sha256.Sum256(content)
	m := Migration{Checksum: hex.EncodeToString(sum[:])}
	text := string(content)
	if strings.IndexByte(text, 0) >= 0 {
		// libpg_query reads a C string: a NUL would silently cut the file short.
		return m, fmt.Errorf("%s: holds a NUL byte: a migration is a text file of SQL", path)
	}
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		if strings.TrimSpace(line) != NoTransactionMarker {
			continue
		}
		if i > 0 {
			return m, fmt.Errorf("%s:%d: %q counts only as the file's first line: move it there, or remove it to run the file in a transaction", path, i+1, NoTransactionMarker)
		}
		m.NoTransaction = true
	}
	statements, err := split(text)
	var parseErr *lineError
	switch {
	case errors.As(err, &parseErr) && parseErr.Line > 0:
		return m, fmt.Errorf("%s:%d: %s", path, parseErr.Line, parseErr.Message)
	case err != nil:
		return m, fmt.Errorf("%s: %w", path, err)
	}
	if len(statements) == 0 {
		return m, fmt.Errorf("%s: holds no statement: write the migration, or remove the file", path)
	}
	var problems []error
	var needsMarker []splitStatement
	for _, s := range statements {
		switch {
		case s.transactionControl != "":
			problems = append(problems, fmt.Errorf("%s:%d: %s: the file runs in a transaction of its own (a file with %q, statement by statement, each on its own): remove the transaction control", path, s.Line, s.transactionControl, NoTransactionMarker))
		case s.outsideTransaction != "" && !m.NoTransaction:
			problems = append(problems, fmt.Errorf("%s:%d: %s cannot run inside a transaction (%s): move it to a file of its own whose first line is %q (read the risk in the migrate package's documentation first)", path, s.Line, s.outsideTransaction, excerpt(s.SQL), NoTransactionMarker))
		case s.outsideTransaction != "":
			needsMarker = append(needsMarker, s)
		}
	}
	if m.NoTransaction {
		switch {
		case len(statements) > 1:
			problems = append(problems, fmt.Errorf("%s: has %q and %d statements: a file outside a transaction holds exactly one, so that a failure cannot leave it half applied: move the others to files of their own", path, NoTransactionMarker, len(statements)))
		case len(needsMarker) == 0:
			problems = append(problems, fmt.Errorf("%s:%d: has %q but its statement runs in a transaction: remove the marker, so that the file is all or nothing", path, statements[0].Line, NoTransactionMarker))
		}
	}
	if len(problems) > 0 {
		return m, errors.Join(problems...)
	}
	for _, s := range statements {
		m.Statements = append(m.Statements, s.Statement)
	}
	return m, nil
}

// suggestName is a name of the right form made from a wrong one, for the
// refusal: "3-Add Ratings.SQL" becomes 0003_add_ratings.sql.
func suggestName(name string) string {
	base := strings.TrimSuffix(strings.ToLower(name), ".sql")
	digits := len(base) - len(strings.TrimLeft(base, "0123456789"))
	description := strings.Trim(nonWord.ReplaceAllString(base[digits:], "_"), "_")
	version, _ := strconv.Atoi(base[:digits])
	if digits == 0 || digits > 4 || version == 0 || description == "" {
		return "0003_add_ratings.sql"
	}
	return fmt.Sprintf("%04d_%s.sql", version, description)
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// excerpt is a statement's start, for a message: its first line, cut at
// 60 characters.
func excerpt(sql string) string {
	first, _, more := strings.Cut(sql, "\n")
	if runes := []rune(first); len(runes) > 60 {
		first, more = string(runes[:60]), true
	}
	if more {
		first += " ..."
	}
	return first
}
