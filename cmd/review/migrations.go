package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/stagequery"
	"aurora-stages/migrate"
	"aurora-stages/review"
	"aurora-stages/settings"
)

// migrationsDir is the repository's folder of schema migrations.
const migrationsDir = "migrations"

// firstLines is how much of a pending migration the review shows.
const firstLines = 2

// pendingMigrations reads which of the repository's migrations the stage
// has not applied, from its history through the Data API, as its deploy
// would apply them; the stage's database out of reach (not deployed, paused,
// no access) is said, and every file listed. Destructive statements in
// them are risks on a production-profile stage, notes elsewhere. A
// repository without migrations/ has none to show.
func pendingMigrations(cfg settings.StageConfig) (*review.Migrations, []review.Risk, []string, error) {
	migrations, err := migrate.Load(migrationsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	status, err := readStatus(ctx, cfg, migrations)
	section, risks, notes := migrationFindings(cfg, migrations, status, err)
	return section, risks, notes, nil
}

// migrationFindings is what the review says of the migrations, given the
// stage's status, or why it could not be read (readErr).
func migrationFindings(cfg settings.StageConfig, migrations []migrate.Migration, status *migrate.Status, readErr error) (*review.Migrations, []review.Risk, []string) {
	pending, unknown := migrations, ""
	if readErr != nil {
		unknown = fmt.Sprintf("the stage's migration history could not be read (%v): every file is listed", readErr)
	} else {
		pending = status.Pending
	}
	section := &review.Migrations{Unknown: unknown, Pending: []review.PendingMigration{}}
	for _, m := range pending {
		section.Pending = append(section.Pending, review.PendingMigration{File: migrationsDir + "/" + m.File, FirstLines: leadingLines(m)})
	}
	var risks []review.Risk
	var notes []string
	for _, finding := range migrate.Destructive(pending) {
		where := fmt.Sprintf("%s/%s:%d", migrationsDir, finding.File, finding.Line)
		if cfg.Profile == "production" {
			risks = append(risks, review.Risk{Address: where, Reason: finding.What + " in a pending migration: the deploy runs it after this plan, and the data it removes is gone"})
		} else {
			notes = append(notes, where+": "+finding.What+" in a pending migration (a risk on production-profile stages)")
		}
	}
	return section, risks, notes
}

// readStatus reads the stage's history with the stage's credentials,
// without waiting for a paused database: a review does not wait two
// minutes for one.
func readStatus(ctx context.Context, cfg settings.StageConfig, migrations []migrate.Migration) (*migrate.Status, error) {
	awsCfg, err := awsconfig.Stage(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db, err := stagequery.Open(ctx, cfg, awsCfg, "")
	if err != nil {
		return nil, err
	}
	return migrate.ReadStatus(ctx, migrate.Target{API: db.API, ResourceARN: db.ResourceARN, SecretARN: db.SecretARN, Database: db.Name}, migrations)
}

// leadingLines are a migration's first lines of SQL.
func leadingLines(m migrate.Migration) []string {
	var lines []string
	for _, statement := range m.Statements {
		for _, line := range strings.Split(statement.SQL, "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "--") {
				continue
			}
			lines = append(lines, line)
			if len(lines) == firstLines {
				return lines
			}
		}
	}
	return lines
}
