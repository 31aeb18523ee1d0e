package migrate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/jackc/pgx/v5"

	"aurora-stages/internal/localdataapi"
	"aurora-stages/internal/localpg"
)

// These tests run the package against a real PostgreSQL behind the real
// local Data API handler, through aws-sdk-go-v2's rdsdata client: one
// server for the package (TestAgainstPostgres), a database per subtest.

const (
	clusterARN     = "arn:aws:rds:us-east-1:123456789012:cluster:stage-db"
	secretARN      = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage-db-master-AbCdEf"
	masterUser     = "dbadmin"
	masterPassword = "migrate-test-pw"
)

// backend logs every call into the test server as the master user.
type backend struct {
	connString func(user, password, database string) string
}

func (b backend) Connect(ctx context.Context, resourceARN, secretARN, database string) (*pgx.Conn, error) {
	if resourceARN != clusterARN {
		return nil, &localdataapi.Error{Name: "BadRequestException", Status: http.StatusBadRequest, Message: "HttpEndpoint is not enabled for cluster " + resourceARN}
	}
	if database == "" {
		database = "main"
	}
	return pgx.Connect(ctx, b.connString(masterUser, masterPassword, database))
}

// stage is one subtest's database, reached through the Data API (target)
// and directly (sql, for the test's own checks).
type stage struct {
	t       *testing.T
	handler *localdataapi.Handler
	target  Target
	conn    *pgx.Conn
}

func TestAgainstPostgres(t *testing.T) {
	_, server := localpg.StartForTest(t, localpg.Spec{Major: "16", DatabaseName: "main", MasterUsername: masterUser, Password: masterPassword})
	handler := localdataapi.NewHandler(backend{server.ConnString})
	endpoint := httptest.NewServer(handler)
	t.Cleanup(handler.Close)
	t.Cleanup(endpoint.Close)
	client := rdsdata.New(rdsdata.Options{
		BaseEndpoint: aws.String(endpoint.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
	})
	admin, err := pgx.Connect(t.Context(), server.ConnString(masterUser, masterPassword, "main"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(context.Background()) })
	newStage := func(t *testing.T) *stage {
		database := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
		if _, err := admin.Exec(t.Context(), "CREATE DATABASE "+database); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(t.Context(), server.ConnString(masterUser, masterPassword, database))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close(context.Background()) })
		return &stage{t: t, handler: handler, conn: conn, target: Target{API: client, ResourceARN: clusterARN, SecretARN: secretARN, Database: database}}
	}
	for _, test := range []struct {
		name string
		run  func(*testing.T, *stage)
	}{
		{"FromEmpty", testFromEmpty},
		{"Tricky", testTricky},
		{"FailingFile", testFailingFile},
		{"Concurrent", testConcurrent},
		{"EditedFile", testEditedFile},
		{"Gap", testGap},
		{"Resuming", testResuming},
		{"NoTransaction", testNoTransaction},
		{"LockedByKilledRun", testLockedByKilledRun},
		{"LockRowOfAnotherRun", testLockRowOfAnotherRun},
	} {
		t.Run(test.name, func(t *testing.T) { test.run(t, newStage(t)) })
	}
}

// files writes migrations into a new folder and loads them.
func files(t *testing.T, contents map[string]string) []Migration {
	t.Helper()
	dir := t.TempDir()
	for name, content := range contents {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	migrations, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return migrations
}

// query returns the rows of sql, each as its columns' text.
func (s *stage) query(sql string) []string {
	s.t.Helper()
	rows, err := s.conn.Query(s.t.Context(), sql)
	if err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	var result []string
	for rows.Next() {
		values, err := rows.Values()
		if err != nil {
			s.t.Fatal(err)
		}
		var columns []string
		for _, v := range values {
			columns = append(columns, fmt.Sprint(v))
		}
		result = append(result, strings.Join(columns, " "))
	}
	if err := rows.Err(); err != nil {
		s.t.Fatalf("%s: %v", sql, err)
	}
	return result
}

func (s *stage) wantRows(sql string, want ...string) {
	s.t.Helper()
	got := s.query(sql)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		s.t.Errorf("%s:\ngot  %q\nwant %q", sql, got, want)
	}
}

func (s *stage) history() []string {
	return s.query("SELECT version, name, checksum, applied_by FROM " + HistoryTable + " ORDER BY version")
}

func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one with %q", parts)
	}
	for _, part := range parts {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error %q\ndoes not contain %q", err, part)
		}
	}
}

func names(migrations []Migration) []string {
	var files []string
	for _, m := range migrations {
		files = append(files, m.File)
	}
	return files
}

func testFromEmpty(t *testing.T, s *stage) {
	migrations, err := Load("../migrations")
	if err != nil {
		t.Fatal(err)
	}
	status, err := ReadStatus(t.Context(), s.target, migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(status.Applied) != 0 || len(status.Pending) != 2 {
		t.Fatalf("status of an empty database: %+v", status)
	}
	plan, err := Plan(t.Context(), s.target, migrations, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(plan); strings.Join(got, " ") != "0001_create_movies.sql 0002_movies_by_year.sql" {
		t.Errorf("plan: %v", got)
	}
	s.wantRows("SELECT to_regclass('"+HistoryTable+"') IS NULL", "true")

	before := time.Now().Add(-time.Second)
	var progress strings.Builder
	applied, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "arn:aws:sts::123456789012:assumed-role/deploy/ci", Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 {
		t.Errorf("applied %v", names(applied))
	}
	if !regexp.MustCompile(`^0001_create_movies.sql: applied, 2 statement\(s\) in \S+\n0002_movies_by_year.sql: applied, 2 statement\(s\) in \S+\n$`).MatchString(progress.String()) {
		t.Errorf("progress:\n%s", progress.String())
	}
	s.wantRows("SELECT title FROM movies WHERE year = 1999 ORDER BY title", "Fight Club", "The Matrix")
	s.wantRows("SELECT movies_in_decade(1999)", "Fight Club", "The Matrix")
	s.wantRows("SELECT indexname FROM pg_indexes WHERE tablename = 'movies' ORDER BY 1", "movies_pkey", "movies_year")
	want := []string{
		"1 create_movies " + migrations[0].Checksum + " arn:aws:sts::123456789012:assumed-role/deploy/ci",
		"2 movies_by_year " + migrations[1].Checksum + " arn:aws:sts::123456789012:assumed-role/deploy/ci",
	}
	if got := s.history(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history:\ngot  %q\nwant %q", got, want)
	}

	status, err = ReadStatus(t.Context(), s.target, migrations)
	if err != nil {
		t.Fatal(err)
	}
	if len(status.Applied) != 2 || len(status.Pending) != 0 || status.Check(false) != nil {
		t.Fatalf("status after apply: %+v", status)
	}
	for _, a := range status.Applied {
		if a.AppliedAt.Before(before) || a.AppliedAt.After(time.Now().Add(time.Second)) || a.AppliedAt.Location() != time.UTC {
			t.Errorf("version %d applied at %s, want between %s and now, in UTC", a.Version, a.AppliedAt, before)
		}
	}

	applied, err = Apply(t.Context(), s.target, migrations, Options{AppliedBy: "someone else"})
	if err != nil || len(applied) != 0 {
		t.Errorf("a second run applied %v, %v; want nothing", names(applied), err)
	}
	s.wantRows("SELECT count(*) FROM movies", "4")
	if got := s.history(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("history after a second run:\ngot  %q\nwant %q", got, want)
	}
}

func testFailingFile(t *testing.T, s *stage) {
	migrations := files(t, map[string]string{
		"0001_create_movies.sql": "CREATE TABLE movies (title text, year int);\n",
		"0002_ratings.sql": "CREATE TABLE ratings (movie text, stars int);\n" +
			"INSERT INTO movies VALUES ('The Matrix', 1999);\n" +
			"\n" +
			"ALTER TABLE movies ADD COLUMN rating int REFERENCES no_such_table;\n",
	})
	applied, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"})
	wantError(t, err, migrations[1].Path+":4: ", `relation "no_such_table" does not exist`, "0002_ratings.sql was rolled back: nothing of it is applied")
	if len(applied) != 1 || applied[0].Version != 1 {
		t.Errorf("applied %v, want the first file", names(applied))
	}
	s.wantRows("SELECT to_regclass('ratings') IS NULL, (SELECT count(*) FROM movies)", "true 0")
	s.wantRows("SELECT version FROM "+HistoryTable, "1")
}

// testConcurrent runs two Applys at once: one waits for the other's
// advisory lock, then skips what the other applied.
func testConcurrent(t *testing.T, s *stage) {
	migrations := files(t, map[string]string{
		"0001_slow.sql":  "CREATE TABLE movies (title text);\nSELECT pg_sleep(0.3);\n",
		"0002_slow.sql":  "INSERT INTO movies VALUES ('The Matrix');\nSELECT pg_sleep(0.3);\n",
		"0003_index.sql": "CREATE INDEX movies_title ON movies (title);\n",
	})
	var wg sync.WaitGroup
	results := make([][]Migration, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			results[i], errs[i] = Apply(t.Context(), s.target, migrations, Options{AppliedBy: fmt.Sprintf("run %d", i)})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := map[int]int{}
	for _, result := range results {
		for _, m := range result {
			seen[m.Version]++
		}
	}
	if len(seen) != 3 || seen[1] != 1 || seen[2] != 1 || seen[3] != 1 {
		t.Errorf("applied by the two runs: %v and %v, want each file once", names(results[0]), names(results[1]))
	}
	s.wantRows("SELECT version, count(*) FROM "+HistoryTable+" GROUP BY version ORDER BY version", "1 1", "2 1", "3 1")
	s.wantRows("SELECT count(*) FROM movies", "1")
}

func testEditedFile(t *testing.T, s *stage) {
	original := map[string]string{"0001_create_movies.sql": "CREATE TABLE movies (title text);\n"}
	if _, err := Apply(t.Context(), s.target, files(t, original), Options{AppliedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	edited := files(t, map[string]string{
		"0001_create_movies.sql": "CREATE TABLE movies (title text, year int);\n",
		"0002_ratings.sql":       "CREATE TABLE ratings (stars int);\n",
	})
	_, err := Apply(t.Context(), s.target, edited, Options{AppliedBy: "tester"})
	wantError(t, err, edited[0].Path+" changed after it was applied on ", " by tester (checksum ", "write the change as a new migration")
	_, planErr := Plan(t.Context(), s.target, edited, Options{})
	if planErr == nil || planErr.Error() != err.Error() {
		t.Errorf("Plan: %v, want Apply's refusal", planErr)
	}
	s.wantRows("SELECT to_regclass('ratings') IS NULL", "true")

	renamed := files(t, map[string]string{"0001_movies.sql": original["0001_create_movies.sql"]})
	_, err = Apply(t.Context(), s.target, renamed, Options{AppliedBy: "tester"})
	wantError(t, err, renamed[0].Path+": version 1 was applied as 0001_create_movies.sql on ", "rename the file back")

	_, err = Apply(t.Context(), s.target, nil, Options{AppliedBy: "tester"})
	wantError(t, err, "version 1 (0001_create_movies.sql) was applied on ", "but no file has it")
}

func testGap(t *testing.T, s *stage) {
	first := map[string]string{
		"0001_create_movies.sql": "CREATE TABLE movies (title text);\n",
		"0003_ratings.sql":       "CREATE TABLE ratings (stars int);\n",
	}
	if _, err := Apply(t.Context(), s.target, files(t, first), Options{AppliedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	first["0002_year.sql"] = "ALTER TABLE movies ADD COLUMN year int;\n"
	withGap := files(t, first)
	_, err := Plan(t.Context(), s.target, withGap, Options{})
	wantError(t, err, withGap[1].Path+" is pending below version 3 (0003_ratings.sql), which is applied", "Options.AllowOutOfOrder")
	_, err = Apply(t.Context(), s.target, withGap, Options{AppliedBy: "tester"})
	wantError(t, err, withGap[1].Path+" is pending below version 3")
	s.wantRows("SELECT count(*) FROM information_schema.columns WHERE table_name = 'movies'", "1")

	plan, err := Plan(t.Context(), s.target, withGap, Options{AllowOutOfOrder: true})
	if err != nil || len(plan) != 1 || plan[0].Version != 2 {
		t.Fatalf("plan with AllowOutOfOrder: %v, %v", names(plan), err)
	}
	applied, err := Apply(t.Context(), s.target, withGap, Options{AppliedBy: "tester", AllowOutOfOrder: true})
	if err != nil || len(applied) != 1 || applied[0].Version != 2 {
		t.Fatalf("apply with AllowOutOfOrder: %v, %v", names(applied), err)
	}
	s.wantRows("SELECT version FROM "+HistoryTable+" ORDER BY version", "1", "2", "3")
}

// testResuming has the database answer DatabaseResumingException twice, as
// a paused Serverless v2 cluster does.
func testResuming(t *testing.T, s *stage) {
	migrations := files(t, map[string]string{"0001_create_movies.sql": "CREATE TABLE movies (title text);\n"})
	s.handler.PauseNext(clusterARN, 2)
	_, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"})
	var resuming *types.DatabaseResumingException
	if !errors.As(err, &resuming) {
		t.Fatalf("without Retry: %v, want DatabaseResumingException", err)
	}

	s.handler.PauseNext(clusterARN, 2)
	retries := 0
	s.target.Retry = func(ctx context.Context, call func() error) error {
		for {
			err := call()
			if !errors.As(err, &resuming) {
				return err
			}
			retries++
		}
	}
	if _, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	if retries != 2 {
		t.Errorf("retried %d times, want 2", retries)
	}
	s.wantRows("SELECT version FROM "+HistoryTable, "1")
}

func testNoTransaction(t *testing.T, s *stage) {
	migrations := files(t, map[string]string{
		"0001_create_movies.sql": "CREATE TABLE movies (title text);\n",
		"0002_title_index.sql":   NoTransactionMarker + "\nCREATE INDEX CONCURRENTLY IF NOT EXISTS movies_title ON movies (title);\n",
		"0003_year.sql":          "ALTER TABLE movies ADD COLUMN year int;\n",
	})
	if !migrations[1].NoTransaction {
		t.Fatal("the marker was not read")
	}
	applied, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"})
	if err != nil || len(applied) != 3 {
		t.Fatalf("applied %v, %v", names(applied), err)
	}
	s.wantRows("SELECT indexname FROM pg_indexes WHERE indexname = 'movies_title'", "movies_title")
	s.wantRows("SELECT version FROM "+HistoryTable+" ORDER BY version", "1", "2", "3")
	s.wantRows("SELECT count(*) FROM "+LockTable, "0")

	failing := files(t, map[string]string{
		"0001_create_movies.sql": "CREATE TABLE movies (title text);\n",
		"0002_title_index.sql":   NoTransactionMarker + "\nCREATE INDEX CONCURRENTLY IF NOT EXISTS movies_title ON movies (title);\n",
		"0003_year.sql":          "ALTER TABLE movies ADD COLUMN year int;\n",
		"0004_vacuum.sql":        NoTransactionMarker + "\n\nVACUUM no_such_table;\n",
	})
	_, err = Apply(t.Context(), s.target, failing, Options{AppliedBy: "tester"})
	wantError(t, err, failing[3].Path+":3: ", `relation "no_such_table" does not exist`, "ran outside a transaction")
	s.wantRows("SELECT count(*) FROM "+LockTable, "0")
	s.wantRows("SELECT max(version) FROM "+HistoryTable, "3")
}

// testLockedByKilledRun holds the advisory lock in a Data API transaction
// that nobody ends, as a killed run leaves it.
func testLockedByKilledRun(t *testing.T, s *stage) {
	lockWait = 200 * time.Millisecond
	t.Cleanup(func() { lockWait = LockWait })
	tx, err := s.target.begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.target.rollback(context.Background(), tx) })
	if _, err := s.target.execute(t.Context(), tx, fmt.Sprintf("SELECT 1 FROM pg_advisory_xact_lock(%d)", LockKey)); err != nil {
		t.Fatal(err)
	}
	migrations := files(t, map[string]string{"0001_create_movies.sql": "CREATE TABLE movies (title text);\n"})
	_, err = Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"})
	wantError(t, err, migrations[0].Path+": another run has been applying a migration to "+clusterARN+" for more than 200ms", "3 minutes after its last call", "0001_create_movies.sql was rolled back")
	s.wantRows("SELECT to_regclass('movies') IS NULL", "true")
}

func testLockRowOfAnotherRun(t *testing.T, s *stage) {
	migrations := files(t, map[string]string{"0001_create_movies.sql": "CREATE TABLE movies (title text);\n"})
	for _, sql := range createTables {
		if _, err := s.conn.Exec(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.conn.Exec(t.Context(), "INSERT INTO "+LockTable+" VALUES (1, 'someone (run 1)', '2999-01-01 00:00:00+00')"); err != nil {
		t.Fatal(err)
	}
	status, err := ReadStatus(t.Context(), s.target, migrations)
	if err != nil || status.Lock == nil || status.Lock.Holder != "someone (run 1)" || status.Lock.ExpiresAt.Year() != 2999 {
		t.Fatalf("status: %+v, %v; want the lock row", status, err)
	}
	_, err = Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"})
	wantError(t, err, migrations[0].Path+": someone (run 1) is applying a migration outside a transaction; its lock expires at 2999-01-01T00:00:00Z")
	if _, err := s.conn.Exec(t.Context(), "UPDATE "+LockTable+" SET expires_at = now() - interval '1 second'"); err != nil {
		t.Fatal(err)
	}
	if _, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"}); err != nil {
		t.Fatalf("after the lock row expired: %v", err)
	}
}

// testTricky runs the splitter's corpus: each statement PostgreSQL is sent
// is one it runs, and the strings arrive as written.
func testTricky(t *testing.T, s *stage) {
	content, err := os.ReadFile("testdata/tricky.sql")
	if err != nil {
		t.Fatal(err)
	}
	migrations := files(t, map[string]string{"0001_tricky.sql": string(content)})
	if _, err := Apply(t.Context(), s.target, migrations, Options{AppliedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	s.wantRows(`SELECT "semi;colon", "quote""d;" FROM "odd;name" ORDER BY 2`, `it's; fine 1`, `back'slash; \ 2`, `C:\ 3`)
	s.wantRows("SELECT movies_total()", "3")
}
