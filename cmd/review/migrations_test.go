package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"aurora-stages/migrate"
	"aurora-stages/review"
	"aurora-stages/settings"
)

// writeMigrations writes files into a new migrations folder and loads it.
func writeMigrations(t *testing.T, files map[string]string) []migrate.Migration {
	t.Helper()
	dir := t.TempDir()
	for name, sql := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(sql), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	migrations, err := migrate.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return migrations
}

// The review lists what a stage has not applied, with its first lines; a
// destructive statement in it is a risk on a production-profile stage, a
// note elsewhere; a history it cannot read is said, and every file listed.
func TestReviewOfPendingMigrations(t *testing.T) {
	migrations := writeMigrations(t, map[string]string{
		"0001_create_movies.sql": "-- the movies\ncreate table movies (title text);\ninsert into movies values ('Alien');\n",
		"0002_drop_old.sql":      "create table notes (note text);\n\ndrop table old_movies;\n",
	})
	status := &migrate.Status{Pending: migrations[1:]}
	production := settings.StageConfig{Stage: "production", Profile: "production"}
	section, risks, notes := migrationFindings(production, migrations, status, nil)
	want := []review.PendingMigration{{File: "migrations/0002_drop_old.sql", FirstLines: []string{"create table notes (note text)", "drop table old_movies"}}}
	if section.Unknown != "" || !slices.EqualFunc(section.Pending, want, func(a, b review.PendingMigration) bool {
		return a.File == b.File && slices.Equal(a.FirstLines, b.FirstLines)
	}) {
		t.Errorf("pending %+v (unknown %q), want %+v", section.Pending, section.Unknown, want)
	}
	if len(risks) != 1 || risks[0].Address != "migrations/0002_drop_old.sql:3" || !strings.Contains(risks[0].Reason, "DROP TABLE") || len(notes) != 0 {
		t.Errorf("production: risks %+v, notes %q; want DROP TABLE at migrations/0002_drop_old.sql:3 flagged", risks, notes)
	}
	_, risks, notes = migrationFindings(settings.StageConfig{Stage: "dev", Profile: "dev"}, migrations, status, nil)
	if len(risks) != 0 || len(notes) != 1 || !strings.HasPrefix(notes[0], "migrations/0002_drop_old.sql:3: DROP TABLE") {
		t.Errorf("dev: risks %+v, notes %q; want the drop as a note", risks, notes)
	}
	section, _, _ = migrationFindings(production, migrations, nil, errors.New("stage production is not deployed here"))
	if !strings.Contains(section.Unknown, "could not be read (stage production is not deployed here): every file is listed") || len(section.Pending) != 2 {
		t.Errorf("unreadable history: %+v", section)
	}

	report := &review.Report{Subject: "stage production", Counts: map[review.Action]int{}, Migrations: section}
	if text := report.Text(); !strings.Contains(text, "Migrations pending (2), applied by the deploy after this plan:\n  (the stage's migration history could not be read") ||
		!strings.Contains(text, "  migrations/0001_create_movies.sql\n      create table movies (title text)\n      insert into movies values ('Alien')\n") {
		t.Errorf("text:\n%s", text)
	}
	if markdown := report.Markdown(); !strings.Contains(markdown, "**Migrations pending (2), applied by the deploy after this plan:**") ||
		!strings.Contains(markdown, "- `migrations/0002_drop_old.sql`: `create table notes (note text) drop table old_movies`\n") {
		t.Errorf("markdown:\n%s", markdown)
	}
	report.Migrations = &review.Migrations{Pending: []review.PendingMigration{}}
	if text := report.Text(); !strings.Contains(text, "\nMigrations: none pending.\n") {
		t.Errorf("none pending:\n%s", text)
	}
}
