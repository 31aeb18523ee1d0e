package migrate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

// fakeAPI answers the package's own queries from a history it holds and
// records every call, for the checks that need no database: what runs
// before a refusal, in which transaction, and what ends it.
type fakeAPI struct {
	history []Applied
	// failing is a statement that answers DatabaseErrorException.
	failing string
	calls   []string
}

func (f *fakeAPI) ExecuteStatement(_ context.Context, in *rdsdata.ExecuteStatementInput, _ ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error) {
	sql := aws.ToString(in.Sql)
	f.calls = append(f.calls, "execute in "+aws.ToString(in.TransactionId)+": "+strings.SplitN(sql, "\n", 2)[0])
	str := func(s string) types.Field { return &types.FieldMemberStringValue{Value: s} }
	switch {
	case sql == f.failing:
		return nil, &types.DatabaseErrorException{Message: aws.String(`ERROR: column "yeer" does not exist` + "\n  Position: 8; SQLState: 42703")}
	case strings.HasPrefix(sql, "SELECT to_regclass("):
		table := types.Field(&types.FieldMemberIsNull{Value: true})
		if f.history != nil {
			table = str(HistoryTable)
		}
		return &rdsdata.ExecuteStatementOutput{Records: [][]types.Field{{table, &types.FieldMemberIsNull{Value: true}}}}, nil
	case strings.HasPrefix(sql, "SELECT version, name, checksum, applied_by"):
		var records [][]types.Field
		for _, a := range f.history {
			records = append(records, []types.Field{&types.FieldMemberLongValue{Value: int64(a.Version)}, str(a.Name), str(a.Checksum), str(a.AppliedBy), str(a.AppliedAt.Format("2006-01-02T15:04:05.000000Z"))})
		}
		return &rdsdata.ExecuteStatementOutput{Records: records}, nil
	}
	return &rdsdata.ExecuteStatementOutput{}, nil
}

func (f *fakeAPI) BeginTransaction(context.Context, *rdsdata.BeginTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.BeginTransactionOutput, error) {
	f.calls = append(f.calls, "begin")
	return &rdsdata.BeginTransactionOutput{TransactionId: aws.String("tx")}, nil
}

func (f *fakeAPI) CommitTransaction(context.Context, *rdsdata.CommitTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.CommitTransactionOutput, error) {
	f.calls = append(f.calls, "commit")
	return &rdsdata.CommitTransactionOutput{}, nil
}

func (f *fakeAPI) RollbackTransaction(context.Context, *rdsdata.RollbackTransactionInput, ...func(*rdsdata.Options)) (*rdsdata.RollbackTransactionOutput, error) {
	f.calls = append(f.calls, "rollback")
	return &rdsdata.RollbackTransactionOutput{}, nil
}

func loadFolder(t *testing.T, files map[string]string) []Migration {
	t.Helper()
	migrations, err := Load(writeFolder(t, files))
	if err != nil {
		t.Fatal(err)
	}
	return migrations
}

func wantCalls(t *testing.T, f *fakeAPI, want ...string) {
	t.Helper()
	if strings.Join(f.calls, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(f.calls, "\n"), strings.Join(want, "\n"))
	}
}

const statusRead = "execute in : SELECT to_regclass('public.aurora_stages_migrations')::text, to_regclass('public.aurora_stages_migrations_lock')::text"
const historyRead = "execute in : SELECT version, name, checksum, applied_by, to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM public.aurora_stages_migrations ORDER BY version"

func TestApplyFailingStatementRollsBack(t *testing.T) {
	migrations := loadFolder(t, map[string]string{"0001_movies.sql": "CREATE TABLE movies (year int);\n\nSELECT yeer FROM movies;\n"})
	api := &fakeAPI{failing: "SELECT yeer FROM movies"}
	applied, err := Apply(t.Context(), Target{API: api, ResourceARN: "arn:cluster"}, migrations, Options{AppliedBy: "tester"})
	wantError(t, err, migrations[0].Path+`:3: ERROR: column "yeer" does not exist`, "SQLState: 42703", "0001_movies.sql was rolled back: nothing of it is applied")
	var dbErr *types.DatabaseErrorException
	if !errors.As(err, &dbErr) {
		t.Errorf("%v does not unwrap to the DatabaseErrorException", err)
	}
	if len(applied) != 0 {
		t.Errorf("applied %v", names(applied))
	}
	wantCalls(t, api,
		statusRead,
		"begin",
		"execute in tx: SET LOCAL lock_timeout = '30000ms'",
		"execute in tx: SELECT 1 FROM pg_advisory_xact_lock(7302453187230511136)",
		"execute in tx: SET LOCAL lock_timeout TO DEFAULT",
		"execute in tx: CREATE TABLE IF NOT EXISTS public.aurora_stages_migrations (",
		"execute in tx: COMMENT ON TABLE public.aurora_stages_migrations IS 'The files of migrations/ applied here, one row each, written by the aurora-stages migrate package: do not edit'",
		"execute in tx: CREATE TABLE IF NOT EXISTS public.aurora_stages_migrations_lock (",
		"execute in tx: SELECT holder, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM public.aurora_stages_migrations_lock WHERE expires_at > clock_timestamp()",
		"execute in tx: SELECT name, checksum FROM public.aurora_stages_migrations WHERE version = :version",
		"execute in tx: CREATE TABLE movies (year int)",
		"execute in tx: SELECT yeer FROM movies",
		"rollback",
	)
}

// TestRefusedBeforeAnythingRuns checks that a refusal reads the history
// and nothing else: no transaction begins.
func TestRefusedBeforeAnythingRuns(t *testing.T) {
	migrations := loadFolder(t, map[string]string{
		"0001_movies.sql":  "CREATE TABLE movies (year int);\n",
		"0002_index.sql":   "CREATE INDEX movies_year ON movies (year);\n",
		"0003_ratings.sql": "CREATE TABLE ratings (stars int);\n",
	})
	applied := func(m Migration) Applied {
		return Applied{Version: m.Version, Name: m.Name, Checksum: m.Checksum, AppliedBy: "ci"}
	}
	edited := applied(migrations[0])
	edited.Checksum = strings.Repeat("0", 64)
	for _, test := range []struct {
		name    string
		history []Applied
		opts    Options
		want    []string
	}{
		{"changed", []Applied{edited}, Options{AppliedBy: "tester"}, []string{migrations[0].Path + " changed after it was applied on 0001-01-01T00:00:00Z by ci (checksum 0000000000000000000000000000000000000000000000000000000000000000, now " + migrations[0].Checksum + "): restore it as applied (git log -p " + migrations[0].Path + ")"}},
		{"gap", []Applied{applied(migrations[0]), applied(migrations[2])}, Options{AppliedBy: "tester"}, []string{migrations[1].Path + " is pending below version 3 (0003_ratings.sql), which is applied"}},
		{"missing", []Applied{applied(migrations[0]), {Version: 7, Name: "gone", AppliedBy: "ci"}}, Options{AppliedBy: "tester"}, []string{"version 7 (0007_gone.sql) was applied on 0001-01-01T00:00:00Z by ci but no file has it"}},
		{"no identity", nil, Options{}, []string{"migrate.Options.AppliedBy is empty"}},
	} {
		t.Run(test.name, func(t *testing.T) {
			api := &fakeAPI{history: test.history}
			_, err := Apply(t.Context(), Target{API: api}, migrations, test.opts)
			wantError(t, err, test.want...)
			for _, call := range api.calls {
				if call != statusRead && call != historyRead {
					t.Errorf("a refused run called %q", call)
				}
			}
		})
	}
}

func TestPlanChangesNothing(t *testing.T) {
	migrations := loadFolder(t, map[string]string{
		"0001_movies.sql": "CREATE TABLE movies (year int);\n",
		"0002_index.sql":  "CREATE INDEX movies_year ON movies (year);\n",
	})
	api := &fakeAPI{history: []Applied{{Version: 1, Name: "movies", Checksum: migrations[0].Checksum}}}
	plan, err := Plan(t.Context(), Target{API: api}, migrations, Options{})
	if err != nil || len(plan) != 1 || plan[0].File != "0002_index.sql" {
		t.Fatalf("plan %v, %v; want 0002_index.sql", names(plan), err)
	}
	wantCalls(t, api, statusRead, historyRead)
}

// TestRetryWrapsEveryCall counts the calls Retry sees against those made.
func TestRetryWrapsEveryCall(t *testing.T) {
	migrations := loadFolder(t, map[string]string{"0001_movies.sql": "CREATE TABLE movies (year int);\n"})
	api := &fakeAPI{}
	wrapped := 0
	target := Target{API: api, Retry: func(ctx context.Context, call func() error) error {
		wrapped++
		return call()
	}}
	if _, err := Apply(t.Context(), target, migrations, Options{AppliedBy: "tester"}); err != nil {
		t.Fatal(err)
	}
	if wrapped != len(api.calls) || api.calls[len(api.calls)-1] != "commit" {
		t.Errorf("Retry wrapped %d of %d calls: %q", wrapped, len(api.calls), api.calls)
	}
}
