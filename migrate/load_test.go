package migrate

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSplitTricky(t *testing.T) {
	content, err := os.ReadFile("testdata/tricky.sql")
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseMigration("testdata/tricky.sql", content)
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{
		{Line: 4, SQL: `CREATE TABLE "odd;name" ("semi;colon" text, "quote""d;" int)`},
		{Line: 6, SQL: `INSERT INTO "odd;name" VALUES ('it''s; fine', 1), (E'back\'slash; \\', 2), ('C:\', 3)`},
		{Line: 8, SQL: `SELECT $$dollar; body$$, $tag$ inner $$ not the end; $tag$ AS "x"`},
		{Line: 8, SQL: `SELECT 2 /* two on a line; */`},
		{Line: 10, SQL: "CREATE FUNCTION movies_total() RETURNS bigint LANGUAGE plpgsql AS $fn$\nDECLARE\n    note text := $q$ a nested tag; $$ too; $q$;\nBEGIN\n    -- a comment inside; with a semicolon\n    RETURN (SELECT count(*) FROM \"odd;name\"); /* ; */\nEND;\n$fn$"},
		{Line: 19, SQL: "SELECT 'multi\nline; string'"},
		{Line: 22, SQL: `SELECT 'héllo; wörld ✓' AS "ñ;"`},
		{Line: 23, SQL: `SELECT U&'d\0061t\+000061;' AS unicode -- no semicolon after the last statement`},
	}
	if len(m.Statements) != len(want) {
		t.Fatalf("got %d statements, want %d:\n%+v", len(m.Statements), len(want), m.Statements)
	}
	for i, s := range m.Statements {
		if s != want[i] {
			t.Errorf("statement %d:\ngot  line %d %q\nwant line %d %q", i+1, s.Line, s.SQL, want[i].Line, want[i].SQL)
		}
	}
	if m.NoTransaction {
		t.Error("NoTransaction set without the marker")
	}
	if m.Checksum != sha256Hex(string(content)) {
		t.Errorf("checksum %s, want the sha256 of the file's bytes", m.Checksum)
	}
}

// writeFolder makes a migrations folder of files (name: content).
func writeFolder(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func sha256Hex(content string) string { return fmt.Sprintf("%x", sha256.Sum256([]byte(content))) }

func TestLoadNamesAndOrder(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		"0010_later.sql":          "SELECT 10;",
		"0002_add_year_index.sql": "SELECT 2;",
		"0001_create_movies.sql":  "SELECT 1;",
		"README.md":               "not a migration",
		"drafts/":                 "",
	})
	migrations, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range migrations {
		got = append(got, strings.Join([]string{m.File, m.Name, m.Path, m.Checksum}, " "))
	}
	want := []string{
		"0001_create_movies.sql create_movies " + filepath.Join(dir, "0001_create_movies.sql") + " " + sha256Hex("SELECT 1;"),
		"0002_add_year_index.sql add_year_index " + filepath.Join(dir, "0002_add_year_index.sql") + " " + sha256Hex("SELECT 2;"),
		"0010_later.sql later " + filepath.Join(dir, "0010_later.sql") + " " + sha256Hex("SELECT 10;"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if migrations[0].Version != 1 || migrations[2].Version != 10 {
		t.Errorf("versions %d, %d; want 1, 10", migrations[0].Version, migrations[2].Version)
	}
}

// TestLoadRefusals checks each refusal's message: it names the file, the
// line where there is one, and what to do.
func TestLoadRefusals(t *testing.T) {
	for _, test := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"dash", map[string]string{"0003-add.sql": "SELECT 1;"}, []string{"0003-add.sql: the name is not NNNN_description.sql", "rename it, e.g. 0003_add.sql"}},
		{"short version", map[string]string{"3_add.sql": "SELECT 1;"}, []string{"3_add.sql: the name is not NNNN_description.sql", "rename it, e.g. 0003_add.sql"}},
		{"upper case", map[string]string{"0003_Add.SQL": "SELECT 1;"}, []string{"0003_Add.SQL: the name is not NNNN_description.sql", "rename it, e.g. 0003_add.sql"}},
		{"zero", map[string]string{"0000_init.sql": "SELECT 1;"}, []string{"0000_init.sql: version 0000 is not a version: versions start at 0001"}},
		{"duplicate", map[string]string{"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}, []string{"0001_b.sql: version 0001 is also 0001_a.sql: give one of them the next free version"}},
		{"empty", map[string]string{"0001_a.sql": "-- only a comment\n;\n"}, []string{"0001_a.sql: holds no statement: write the migration, or remove the file"}},
		{"syntax", map[string]string{"0001_a.sql": "SELECT 1;\n\nSELEC 2;\n"}, []string{"0001_a.sql:3: PostgreSQL cannot parse it: syntax error at or near \"SELEC\""}},
		{"syntax after multibyte", map[string]string{"0001_a.sql": "SELECT 'ééé';\nSELECT 'ü' FROM;\n"}, []string{"0001_a.sql:2: PostgreSQL cannot parse it: syntax error at or near \";\""}},
		{"unterminated dollar quote", map[string]string{"0001_a.sql": "SELECT 1;\nSELECT $x$ never closed;\n"}, []string{"0001_a.sql:2: PostgreSQL cannot parse it: unterminated dollar-quoted string"}},
		{"nul", map[string]string{"0001_a.sql": "SELECT 1;\x00"}, []string{"0001_a.sql: holds a NUL byte"}},
		{"concurrently", map[string]string{"0001_a.sql": "CREATE TABLE t (a int);\n\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"}, []string{"0001_a.sql:3: CREATE INDEX CONCURRENTLY cannot run inside a transaction (CREATE INDEX CONCURRENTLY t_a ON t (a)): move it to a file of its own whose first line is \"-- migrate: no-transaction\""}},
		{"vacuum", map[string]string{"0001_a.sql": "VACUUM t;"}, []string{"0001_a.sql:1: VACUUM cannot run inside a transaction"}},
		{"create database", map[string]string{"0001_a.sql": "CREATE DATABASE other;"}, []string{"0001_a.sql:1: CREATE DATABASE cannot run inside a transaction"}},
		{"drop index concurrently", map[string]string{"0001_a.sql": "DROP INDEX CONCURRENTLY t_a;"}, []string{"0001_a.sql:1: DROP INDEX CONCURRENTLY cannot run inside a transaction"}},
		{"reindex concurrently", map[string]string{"0001_a.sql": "REINDEX (CONCURRENTLY) TABLE t;"}, []string{"0001_a.sql:1: REINDEX CONCURRENTLY cannot run inside a transaction"}},
		{"detach concurrently", map[string]string{"0001_a.sql": "ALTER TABLE t DETACH PARTITION t_2024 CONCURRENTLY;"}, []string{"0001_a.sql:1: ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY cannot run inside a transaction"}},
		{"alter system", map[string]string{"0001_a.sql": "ALTER SYSTEM SET work_mem = '8MB';"}, []string{"0001_a.sql:1: ALTER SYSTEM cannot run inside a transaction"}},
		{"begin commit", map[string]string{"0001_a.sql": "BEGIN;\nCREATE TABLE t (a int);\nCOMMIT;\n"}, []string{"0001_a.sql:1: BEGIN: the file runs in a transaction of its own", "0001_a.sql:3: COMMIT: the file runs in a transaction of its own", "remove the transaction control"}},
		{"marker and two statements", map[string]string{"0001_a.sql": NoTransactionMarker + "\nCREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);\n"}, []string{"0001_a.sql: has \"-- migrate: no-transaction\" and 2 statements: a file outside a transaction holds exactly one"}},
		{"marker not first", map[string]string{"0001_a.sql": "-- an index\n\n" + NoTransactionMarker + "\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n"}, []string{"0001_a.sql:3: \"-- migrate: no-transaction\" counts only as the file's first line"}},
		{"marker not needed", map[string]string{"0001_a.sql": NoTransactionMarker + "\n\nCREATE INDEX t_a ON t (a);\n"}, []string{"0001_a.sql:3: has \"-- migrate: no-transaction\" but its statement runs in a transaction: remove the marker"}},
		{"every problem at once", map[string]string{"0001-a.sql": "SELECT 1;", "0002_b.sql": "VACUUM;"}, []string{"0001-a.sql: the name is not", "0002_b.sql:1: VACUUM cannot run inside a transaction"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			dir := writeFolder(t, test.files)
			migrations, err := Load(dir)
			if err == nil {
				t.Fatalf("loaded %d migrations, want a refusal", len(migrations))
			}
			for _, want := range test.want {
				if !strings.Contains(err.Error(), filepath.Join(dir, want)) && !strings.Contains(err.Error(), want) {
					t.Errorf("error:\n%v\ndoes not contain\n%s", err, want)
				}
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the folder's path", err)
			}
		})
	}
}

func TestLoadNoTransaction(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		"0001_index.sql":      NoTransactionMarker + "\n-- why: movies is large\nCREATE INDEX CONCURRENTLY IF NOT EXISTS movies_title ON movies (title);\n",
		"0002_enum_value.sql": "ALTER TYPE mood ADD VALUE 'meh';\nSAVEPOINT s;\nRELEASE SAVEPOINT s;\nANALYZE movies;\n",
	})
	migrations, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !migrations[0].NoTransaction || migrations[0].Statements[0].Line != 3 {
		t.Errorf("0001: NoTransaction %v, line %d; want true, 3", migrations[0].NoTransaction, migrations[0].Statements[0].Line)
	}
	if migrations[1].NoTransaction || len(migrations[1].Statements) != 4 {
		t.Errorf("0002: NoTransaction %v, %d statements; want false, 4", migrations[1].NoTransaction, len(migrations[1].Statements))
	}
}

func TestLoadMissingFolder(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "migrations"))
	if err == nil || !strings.Contains(err.Error(), "reading the migrations folder: open ") {
		t.Errorf("got %v, want the folder named", err)
	}
}

func TestExampleMigrations(t *testing.T) {
	migrations, err := Load("../migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) < 2 || migrations[0].File != "0001_create_movies.sql" {
		t.Fatalf("examples: %v", names(migrations))
	}
	if findings := Destructive(migrations); len(findings) != 0 {
		t.Errorf("the examples are destructive: %v", findings)
	}
}

func TestDestructive(t *testing.T) {
	dir := writeFolder(t, map[string]string{
		"0001_destroy.sql": `DROP TABLE movies, public.ratings;
ALTER TABLE movies
    ADD COLUMN note text,
    DROP COLUMN year,
    ALTER COLUMN rating TYPE smallint;
TRUNCATE movies, ratings;
DELETE FROM movies;
DELETE FROM movies WHERE year < 1900;
DROP INDEX movies_year;
DROP VIEW old_movies;
DROP TYPE mood CASCADE;
DROP SCHEMA archive;
SELECT 'DROP TABLE not_a_statement'; -- DROP TABLE nor_this
CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $$ DROP TABLE inside_a_body $$;
`,
		"0002_more.sql": "\nALTER TABLE ONLY s.t ALTER year SET DATA TYPE bigint;\n",
	})
	migrations, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range Destructive(migrations) {
		got = append(got, f.String())
	}
	want := []string{
		"0001_destroy.sql:1: DROP TABLE movies",
		"0001_destroy.sql:1: DROP TABLE public.ratings",
		"0001_destroy.sql:2: ALTER TABLE movies DROP COLUMN year",
		"0001_destroy.sql:2: ALTER TABLE movies ALTER COLUMN rating TYPE int2",
		"0001_destroy.sql:6: TRUNCATE movies, ratings",
		"0001_destroy.sql:7: DELETE FROM movies without WHERE",
		"0001_destroy.sql:11: DROP TYPE mood CASCADE (drops what depends on it, columns included)",
		"0001_destroy.sql:12: DROP SCHEMA archive",
		"0002_more.sql:2: ALTER TABLE s.t ALTER COLUMN year TYPE int8",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
