package localdataapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/smithy-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// These tests call the handler as consumers do, through aws-sdk-go-v2's
// rdsdata client (and boto3's, in boto3_test.go), against one PostgreSQL
// for the whole package.

const (
	clusterARN      = "arn:aws:rds:us-east-1:123456789012:cluster:stage-db"
	otherClusterARN = "arn:aws:rds:us-east-1:123456789012:cluster:no-such-stage"
	secretARN       = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage-db-master-AbCdEf"
	staleSecretARN  = "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage-db-stale-AbCdEf"
	masterUser      = "dbadmin"
	masterPassword  = "local-data-api-test-pw"
	clusterDatabase = "main"
)

// testBackend is the front's part made small: one cluster, whose secrets
// name a user and password, logged into as they say; through a Pool when
// it has one.
type testBackend struct {
	connString func(user, password, database string) string
	pool       *Pool

	mu      sync.Mutex
	secrets map[string][2]string
}

func (b *testBackend) Connect(ctx context.Context, resourceARN, secretARN, database string) (*pgx.Conn, error) {
	if resourceARN != clusterARN {
		return nil, &Error{Name: "BadRequestException", Status: http.StatusBadRequest, Message: "HttpEndpoint is not enabled for cluster " + clusterIdentifier(resourceARN)}
	}
	b.mu.Lock()
	secret, ok := b.secrets[secretARN]
	b.mu.Unlock()
	if !ok {
		return nil, &Error{Name: "BadRequestException", Status: http.StatusBadRequest, Message: "Error fetching secret"}
	}
	if database == "" {
		database = clusterDatabase
	}
	login := func(ctx context.Context) (*pgx.Conn, error) {
		conn, err := pgx.Connect(ctx, b.connString(secret[0], secret[1], database))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "28P01" {
			return nil, &Error{Name: "ForbiddenException", Status: http.StatusForbidden, Message: "The secret does not open the cluster: " + pgErr.Message}
		}
		return conn, err
	}
	if b.pool == nil {
		return login(ctx)
	}
	return b.pool.Connect(ctx, PoolKey{ResourceARN: resourceARN, User: secret[0], Password: secret[1], Database: database}, login)
}

// testPooledBackend is a testBackend whose connections go back to its
// Pool; testBackend alone has the handler close them.
type testPooledBackend struct{ *testBackend }

func (b testPooledBackend) Release(conn *pgx.Conn, reusable bool) { b.pool.Release(conn, reusable) }

func (b *testBackend) setSecret(arn, user, password string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.secrets[arn] = [2]string{user, password}
}

type fixture struct {
	handler *Handler
	url     string
	client  *rdsdata.Client
}

// newEndpoint serves a new handler over the backend; adjust sets its limits
// before the first call.
func newEndpoint(t testing.TB, backend Backend, adjust func(*Handler)) fixture {
	t.Helper()
	h := NewHandler(backend)
	if adjust != nil {
		adjust(h)
	}
	server := httptest.NewServer(h)
	t.Cleanup(h.Close)
	t.Cleanup(server.Close)
	client := rdsdata.New(rdsdata.Options{
		BaseEndpoint: aws.String(server.URL),
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		Retryer:      aws.NopRetryer{},
	})
	return fixture{handler: h, url: server.URL, client: client}
}

func (f fixture) execute(t *testing.T, sql string, params ...types.SqlParameter) *rdsdata.ExecuteStatementOutput {
	t.Helper()
	out, err := f.client.ExecuteStatement(context.Background(), &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String(sql), Parameters: params,
	})
	if err != nil {
		t.Fatalf("ExecuteStatement(%q): %v", sql, err)
	}
	return out
}

func param(name string, value types.Field) types.SqlParameter {
	return types.SqlParameter{Name: aws.String(name), Value: value}
}

func hinted(name, value string, hint types.TypeHint) types.SqlParameter {
	return types.SqlParameter{Name: aws.String(name), Value: &types.FieldMemberStringValue{Value: value}, TypeHint: hint}
}

// wantAPIError checks err is the typed exception T with AWS's status and a
// message containing messagePart.
func wantAPIError[T smithy.APIError](t *testing.T, err error, status int, messagePart string) T {
	t.Helper()
	var typed T
	if !errors.As(err, &typed) {
		t.Fatalf("got %v, want %T", err, typed)
	}
	var httpErr interface{ HTTPStatusCode() int }
	if !errors.As(err, &httpErr) || httpErr.HTTPStatusCode() != status {
		t.Errorf("got HTTP status %v, want %d", httpErr, status)
	}
	if !strings.Contains(typed.ErrorMessage(), messagePart) {
		t.Errorf("got message %q, want it to contain %q", typed.ErrorMessage(), messagePart)
	}
	return typed
}

func TestDataAPIThroughTheGoSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	backend := &testBackend{
		connString: startPostgres(t, masterUser, masterPassword, clusterDatabase),
		secrets: map[string][2]string{
			secretARN:      {masterUser, masterPassword},
			staleSecretARN: {masterUser, "a-password-rotated-away"},
		},
	}
	pooled := testPooledBackend{&testBackend{connString: backend.connString, pool: NewPool(2), secrets: map[string][2]string{}}}
	t.Cleanup(pooled.pool.Close)
	f := newEndpoint(t, backend, nil)
	ctx := context.Background()

	t.Run("every parameter type and type hint reaches PostgreSQL as AWS binds it", func(t *testing.T) {
		f.execute(t, `CREATE TABLE params (s text, l bigint, i int, d double precision, b boolean, bl bytea, n text,
			dt date, tm time, ts timestamp, dec numeric(10,3), u uuid, j jsonb)`)
		out := f.execute(t, `INSERT INTO params VALUES (:s, :l, :i, :d, :b, :bl, :n, :dt, :tm, :ts, :dec, :u, :j)`,
			param("s", &types.FieldMemberStringValue{Value: "it's :s"}),
			param("l", &types.FieldMemberLongValue{Value: 9007199254740993}),
			param("i", &types.FieldMemberLongValue{Value: -42}),
			param("d", &types.FieldMemberDoubleValue{Value: 2.5}),
			param("b", &types.FieldMemberBooleanValue{Value: true}),
			param("bl", &types.FieldMemberBlobValue{Value: []byte{0, 1, 254}}),
			param("n", &types.FieldMemberIsNull{Value: true}),
			hinted("dt", "2024-02-29", types.TypeHintDate),
			hinted("tm", "10:11:12.345", types.TypeHintTime),
			hinted("ts", "2024-02-29 10:11:12.5", types.TypeHintTimestamp),
			hinted("dec", "12.345", types.TypeHintDecimal),
			hinted("u", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", types.TypeHintUuid),
			hinted("j", `{"a": [1, 2]}`, types.TypeHintJson),
		)
		if out.NumberOfRecordsUpdated != 1 {
			t.Errorf("numberOfRecordsUpdated = %d, want 1", out.NumberOfRecordsUpdated)
		}
		got := f.execute(t, "SELECT * FROM params").Records
		want := [][]types.Field{{
			&types.FieldMemberStringValue{Value: "it's :s"},
			&types.FieldMemberLongValue{Value: 9007199254740993},
			&types.FieldMemberLongValue{Value: -42},
			&types.FieldMemberDoubleValue{Value: 2.5},
			&types.FieldMemberBooleanValue{Value: true},
			&types.FieldMemberBlobValue{Value: []byte{0, 1, 254}},
			&types.FieldMemberIsNull{Value: true},
			&types.FieldMemberStringValue{Value: "2024-02-29"},
			&types.FieldMemberStringValue{Value: "10:11:12.345"},
			&types.FieldMemberStringValue{Value: "2024-02-29 10:11:12.5"},
			&types.FieldMemberStringValue{Value: "12.345"},
			&types.FieldMemberStringValue{Value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
			&types.FieldMemberStringValue{Value: `{"a": [1, 2]}`},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("records\n got %s\nwant %s", show(got), show(want))
		}
	})

	t.Run("a string without a type hint is varchar, so a date column refuses it as on AWS", func(t *testing.T) {
		_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:        aws.String("INSERT INTO params (dt) VALUES (:dt)"),
			Parameters: []types.SqlParameter{param("dt", &types.FieldMemberStringValue{Value: "2024-02-29"})},
		})
		wantAPIError[*types.DatabaseErrorException](t, err, 400, `column "dt" is of type date but expression is of type character varying`)
	})

	t.Run("array parameters are refused as AWS refuses them", func(t *testing.T) {
		_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:        aws.String("SELECT :ids"),
			Parameters: []types.SqlParameter{param("ids", &types.FieldMemberArrayValue{Value: &types.ArrayValueMemberLongValues{Value: []*int64{aws.Int64(1)}}})},
		})
		wantAPIError[*types.BadRequestException](t, err, 400, "Array parameters are not supported.")
	})

	t.Run("results come back typed as the Data API types them", func(t *testing.T) {
		got := f.execute(t, `SELECT 1::int2, 2::int4, 3::int8, 1.50::numeric(5,2), 1.5::float4, 2.25::float8, true,
			'x'::text, 'y'::varchar(5), 'z'::char(2), '\x0102'::bytea, '2024-02-29'::date, '10:11:12'::time,
			'2024-02-29 10:11:12.123456'::timestamp, '2024-02-29 10:11:12+02'::timestamptz,
			'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{"a":1}'::json, '{"b": 2}'::jsonb,
			ARRAY[1,NULL,3]::int[], ARRAY['a',NULL,'b c']::text[], ARRAY[true,false], ARRAY[1.5,2.5]::float8[],
			ARRAY[1.10]::numeric[], NULL::int, 'NaN'::float8`).Records
		want := [][]types.Field{{
			&types.FieldMemberLongValue{Value: 1},
			&types.FieldMemberLongValue{Value: 2},
			&types.FieldMemberLongValue{Value: 3},
			&types.FieldMemberStringValue{Value: "1.50"},
			&types.FieldMemberDoubleValue{Value: 1.5},
			&types.FieldMemberDoubleValue{Value: 2.25},
			&types.FieldMemberBooleanValue{Value: true},
			&types.FieldMemberStringValue{Value: "x"},
			&types.FieldMemberStringValue{Value: "y"},
			&types.FieldMemberStringValue{Value: "z "},
			&types.FieldMemberBlobValue{Value: []byte{1, 2}},
			&types.FieldMemberStringValue{Value: "2024-02-29"},
			&types.FieldMemberStringValue{Value: "10:11:12"},
			&types.FieldMemberStringValue{Value: "2024-02-29 10:11:12.123456"},
			&types.FieldMemberStringValue{Value: "2024-02-29 08:11:12"},
			&types.FieldMemberStringValue{Value: "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
			&types.FieldMemberStringValue{Value: `{"a":1}`},
			&types.FieldMemberStringValue{Value: `{"b": 2}`},
			&types.FieldMemberArrayValue{Value: &types.ArrayValueMemberLongValues{Value: []*int64{aws.Int64(1), nil, aws.Int64(3)}}},
			&types.FieldMemberArrayValue{Value: &types.ArrayValueMemberStringValues{Value: []*string{aws.String("a"), nil, aws.String("b c")}}},
			&types.FieldMemberArrayValue{Value: &types.ArrayValueMemberBooleanValues{Value: []*bool{aws.Bool(true), aws.Bool(false)}}},
			&types.FieldMemberArrayValue{Value: &types.ArrayValueMemberDoubleValues{Value: []*float64{aws.Float64(1.5), aws.Float64(2.5)}}},
			&types.FieldMemberArrayValue{Value: &types.ArrayValueMemberStringValues{Value: []*string{aws.String("1.10")}}},
			&types.FieldMemberIsNull{Value: true},
		}}
		nan := got[0][len(got[0])-1]
		if d, ok := nan.(*types.FieldMemberDoubleValue); !ok || d.Value == d.Value {
			t.Errorf("NaN came back as %s", show([][]types.Field{{nan}}))
		}
		got[0] = got[0][:len(got[0])-1]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("records\n got %s\nwant %s", show(got), show(want))
		}
	})

	t.Run("resultSetOptions turn numerics into numbers and longs into strings", func(t *testing.T) {
		out, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:              aws.String("SELECT 12::numeric, 1.5::numeric, 7::int8"),
			ResultSetOptions: &types.ResultSetOptions{DecimalReturnType: types.DecimalReturnTypeDoubleOrLong, LongReturnType: types.LongReturnTypeString},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := [][]types.Field{{&types.FieldMemberLongValue{Value: 12}, &types.FieldMemberDoubleValue{Value: 1.5}, &types.FieldMemberStringValue{Value: "7"}}}
		if !reflect.DeepEqual(out.Records, want) {
			t.Errorf("records\n got %s\nwant %s", show(out.Records), show(want))
		}
	})

	t.Run("includeResultMetadata describes each column as pgJDBC does", func(t *testing.T) {
		f.execute(t, "CREATE TABLE described (id serial PRIMARY KEY, name varchar(20) NOT NULL, price numeric(10,2), tags text[])")
		out, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:                   aws.String("SELECT id, name, price, tags, now() AS at FROM described"),
			IncludeResultMetadata: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []types.ColumnMetadata{
			{Name: aws.String("id"), Label: aws.String("id"), TypeName: aws.String("serial"), Type: 4, TableName: aws.String("described"), SchemaName: aws.String(""), IsAutoIncrement: true, IsSigned: true, Nullable: 0, Precision: 10},
			{Name: aws.String("name"), Label: aws.String("name"), TypeName: aws.String("varchar"), Type: 12, TableName: aws.String("described"), SchemaName: aws.String(""), IsCaseSensitive: true, Nullable: 0, Precision: 20},
			{Name: aws.String("price"), Label: aws.String("price"), TypeName: aws.String("numeric"), Type: 2, TableName: aws.String("described"), SchemaName: aws.String(""), IsSigned: true, Nullable: 1, Precision: 10, Scale: 2},
			{Name: aws.String("tags"), Label: aws.String("tags"), TypeName: aws.String("_text"), Type: 2003, ArrayBaseColumnType: 12, TableName: aws.String("described"), SchemaName: aws.String(""), IsCaseSensitive: true, Nullable: 1},
			{Name: aws.String("at"), Label: aws.String("at"), TypeName: aws.String("timestamptz"), Type: 93, TableName: aws.String(""), SchemaName: aws.String(""), Nullable: 1, Precision: 35, Scale: 6},
		}
		if !reflect.DeepEqual(out.ColumnMetadata, want) {
			t.Errorf("columnMetadata\n got %s\nwant %s", show(out.ColumnMetadata), show(want))
		}
		if out.Records == nil || len(out.Records) != 0 {
			t.Errorf("records = %v, want an empty list", out.Records)
		}
	})

	t.Run("formatRecordsAs JSON gives formattedRecords and no records", func(t *testing.T) {
		out, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:             aws.String("SELECT 1 AS one, 'a' AS letter, NULL::text AS nothing, 1.5::numeric AS dec, ARRAY[1,2] AS list, true AS yes"),
			FormatRecordsAs: types.RecordsFormatTypeJson,
		})
		if err != nil {
			t.Fatal(err)
		}
		want := `[{"one":1,"letter":"a","nothing":null,"dec":"1.5","list":[1,2],"yes":true}]`
		if aws.ToString(out.FormattedRecords) != want || out.Records != nil || out.ColumnMetadata != nil {
			t.Errorf("got formattedRecords %q, records %v, columnMetadata %v; want %s alone", aws.ToString(out.FormattedRecords), out.Records, out.ColumnMetadata, want)
		}
	})

	t.Run("numberOfRecordsUpdated counts the rows a statement changed", func(t *testing.T) {
		f.execute(t, "CREATE TABLE counted (n int)")
		f.execute(t, "INSERT INTO counted SELECT generate_series(1, 5)")
		if got := f.execute(t, "UPDATE counted SET n = n + 10 WHERE n > 3").NumberOfRecordsUpdated; got != 2 {
			t.Errorf("UPDATE: numberOfRecordsUpdated = %d, want 2", got)
		}
		if got := f.execute(t, "SELECT * FROM counted").NumberOfRecordsUpdated; got != 0 {
			t.Errorf("SELECT: numberOfRecordsUpdated = %d, want 0", got)
		}
	})

	t.Run("a batch runs once per parameter set, and all or nothing outside a transaction", func(t *testing.T) {
		f.execute(t, "CREATE TABLE batched (n int PRIMARY KEY, s text)")
		sets := [][]types.SqlParameter{}
		for i := int64(1); i <= 3; i++ {
			sets = append(sets, []types.SqlParameter{param("n", &types.FieldMemberLongValue{Value: i}), param("s", &types.FieldMemberStringValue{Value: fmt.Sprint("row ", i)})})
		}
		out, err := f.client.BatchExecuteStatement(ctx, &rdsdata.BatchExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql: aws.String("INSERT INTO batched VALUES (:n, :s)"), ParameterSets: sets,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.UpdateResults) != 3 {
			t.Errorf("updateResults has %d entries, want 3", len(out.UpdateResults))
		}
		_, err = f.client.BatchExecuteStatement(ctx, &rdsdata.BatchExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN),
			Sql:           aws.String("INSERT INTO batched VALUES (:n, 'again')"),
			ParameterSets: [][]types.SqlParameter{{param("n", &types.FieldMemberLongValue{Value: 4})}, {param("n", &types.FieldMemberLongValue{Value: 1})}},
		})
		wantAPIError[*types.DatabaseErrorException](t, err, 400, "SQLState: 23505")
		if got := f.execute(t, "SELECT count(*) FROM batched").Records[0][0]; !reflect.DeepEqual(got, &types.FieldMemberLongValue{Value: 3}) {
			t.Errorf("after a failed batch the table has %s rows, want 3", show(got))
		}
	})

	t.Run("a transaction id works across calls; rollback leaves nothing, commit keeps it", func(t *testing.T) {
		f.execute(t, "CREATE TABLE ledger (entry text)")
		insertIn := func(tx *string, entry string) {
			t.Helper()
			_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
				ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx,
				Sql: aws.String("INSERT INTO ledger VALUES (:e)"), Parameters: []types.SqlParameter{param("e", &types.FieldMemberStringValue{Value: entry})},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		count := func(tx *string) int64 {
			t.Helper()
			out, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
				ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx, Sql: aws.String("SELECT count(*) FROM ledger"),
			})
			if err != nil {
				t.Fatal(err)
			}
			return out.Records[0][0].(*types.FieldMemberLongValue).Value
		}
		begin := func() *string {
			t.Helper()
			out, err := f.client.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN)})
			if err != nil {
				t.Fatal(err)
			}
			return out.TransactionId
		}

		tx := begin()
		insertIn(tx, "first")
		insertIn(tx, "second")
		if inside, outside := count(tx), count(nil); inside != 2 || outside != 0 {
			t.Errorf("before the rollback: %d rows inside the transaction and %d outside, want 2 and 0", inside, outside)
		}
		rolledBack, err := f.client.RollbackTransaction(ctx, &rdsdata.RollbackTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(rolledBack.TransactionStatus); got != "Rollback Complete" {
			t.Errorf("rollback status %q, want %q", got, "Rollback Complete")
		}
		if got := count(nil); got != 0 {
			t.Errorf("after the rollback the table has %d rows, want 0", got)
		}

		tx = begin()
		insertIn(tx, "kept")
		committed, err := f.client.CommitTransaction(ctx, &rdsdata.CommitTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(committed.TransactionStatus); got != "Transaction Committed" {
			t.Errorf("commit status %q, want %q", got, "Transaction Committed")
		}
		if got := count(nil); got != 1 {
			t.Errorf("after the commit the table has %d rows, want 1", got)
		}

		_, err = f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx, Sql: aws.String("SELECT 1"),
		})
		wantAPIError[*types.TransactionNotFoundException](t, err, 404, "Transaction "+aws.ToString(tx)+" is not found")
		_, err = f.client.CommitTransaction(ctx, &rdsdata.CommitTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: aws.String("bm8tc3VjaC10cmFuc2FjdGlvbg==")})
		wantAPIError[*types.TransactionNotFoundException](t, err, 404, "Transaction bm8tc3VjaC10cmFuc2FjdGlvbg== is not found")
	})

	t.Run("errors carry AWS's exception names and statuses", func(t *testing.T) {
		_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT * FROM nowhere")})
		wantAPIError[*types.DatabaseErrorException](t, err, 400, "ERROR: relation \"nowhere\" does not exist\n  Position: 15; SQLState: 42P01")

		_, err = f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(staleSecretARN), Sql: aws.String("SELECT 1")})
		wantAPIError[*types.ForbiddenException](t, err, 403, "password authentication failed")

		_, err = f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(otherClusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT 1")})
		wantAPIError[*types.BadRequestException](t, err, 400, "HttpEndpoint is not enabled")

		_, err = f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT 1"), Database: aws.String("nodb")})
		wantAPIError[*types.DatabaseErrorException](t, err, 400, `database "nodb" does not exist; SQLState: 3D000`)

		_, err = f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT 1 " + strings.Repeat(" ", maxSQLBytes))})
		wantAPIError[*types.BadRequestException](t, err, 400, "the Data API takes at most 65536")

		_, err = f.client.ExecuteSql(ctx, &rdsdata.ExecuteSqlInput{DbClusterOrInstanceArn: aws.String(clusterARN), AwsSecretStoreArn: aws.String(secretARN), SqlStatements: aws.String("SELECT 1")})
		wantAPIError[*types.BadRequestException](t, err, 400, "ExecuteSql is deprecated")
	})

	t.Run("a result over 1 MB is refused with AWS's message", func(t *testing.T) {
		_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT repeat('x', 1024) FROM generate_series(1, 1025)"),
		})
		wantAPIError[*types.BadRequestException](t, err, 400, "Database returned more than the allowed response size limit")
		if got := f.execute(t, "SELECT repeat('x', 1024) FROM generate_series(1, 1000)").Records; len(got) != 1000 {
			t.Errorf("just under 1 MB gave %d records, want 1000", len(got))
		}
	})

	t.Run("a paused cluster answers DatabaseResumingException for the next calls, then serves", func(t *testing.T) {
		f.handler.PauseNext(clusterARN, 2)
		for i := 0; i < 2; i++ {
			_, err := f.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT 1")})
			wantAPIError[*types.DatabaseResumingException](t, err, 400, "The Aurora DB instance stage-db is resuming after being auto-paused. Please wait a few seconds and try again.")
		}
		f.execute(t, "SELECT 1")
	})

	t.Run("a statement past the timeout is cancelled unless it should continue", func(t *testing.T) {
		short := newEndpoint(t, backend, func(h *Handler) { h.StatementTimeout = 300 * time.Millisecond })
		_, err := short.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), Sql: aws.String("SELECT pg_sleep(30)")})
		timeout := wantAPIError[*types.StatementTimeoutException](t, err, 400, "Request timed out")
		if timeout.DbConnectionId == 0 {
			t.Error("dbConnectionId is 0, want the backend's process id")
		}
		if running := f.execute(t, "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)'").Records[0][0]; !reflect.DeepEqual(running, &types.FieldMemberLongValue{Value: 0}) {
			t.Errorf("the timed-out statement is still running (%s)", show(running))
		}

		_, err = short.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), ContinueAfterTimeout: true,
			Sql: aws.String("CREATE TABLE slow AS SELECT pg_sleep(0.8)::text AS slept"),
		})
		wantAPIError[*types.StatementTimeoutException](t, err, 400, "Request timed out")
		deadline := time.Now().Add(10 * time.Second)
		for {
			exists := f.execute(t, "SELECT to_regclass('slow') IS NOT NULL").Records[0][0]
			if reflect.DeepEqual(exists, &types.FieldMemberBooleanValue{Value: true}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the statement that should have continued after the timeout never finished")
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("a transaction unused past the idle timeout is rolled back and forgotten", func(t *testing.T) {
		idle := newEndpoint(t, backend, func(h *Handler) { h.TransactionIdleTimeout = 200 * time.Millisecond })
		begun, err := idle.client.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN)})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		_, err = idle.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: begun.TransactionId, Sql: aws.String("SELECT 1"),
		})
		wantAPIError[*types.TransactionNotFoundException](t, err, 404, "is not found")
	})

	t.Run("a pooled connection serves the next call, and a rotated secret is checked on it", func(t *testing.T) {
		f.execute(t, "CREATE ROLE app LOGIN PASSWORD 'first'")
		p := newEndpoint(t, pooled, nil)
		appSecret := "arn:aws:secretsmanager:us-east-1:123456789012:secret:stage-db-app-AbCdEf"
		pooled.setSecret(appSecret, "app", "first")
		backendPID := func() (int64, error) {
			out, err := p.client.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(appSecret), Sql: aws.String("SELECT pg_backend_pid()")})
			if err != nil {
				return 0, err
			}
			return out.Records[0][0].(*types.FieldMemberLongValue).Value, nil
		}
		first, err := backendPID()
		if err != nil {
			t.Fatal(err)
		}
		if second, err := backendPID(); err != nil || second != first {
			t.Errorf("the second call ran on backend %d (%v), want the pooled %d", second, err, first)
		}
		pooled.setSecret(appSecret, "app", "rotated-in-the-secret-only")
		_, err = backendPID()
		wantAPIError[*types.ForbiddenException](t, err, 403, `password authentication failed for user "app"`)
	})

	t.Run("boto3's rds-data client sees the same answers", func(t *testing.T) {
		runBoto3(t, f.url)
	})
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}
