package localfront_test

// The front against moto and real PostgreSQL servers, without terraform:
// clusters made, changed, snapshotted, restored and deleted with the SDK
// through the front, as the provider makes them, and read back through the
// Data API.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// repoRoot is where the tests find moto's environment (.local/venv).
const repoRoot = "../.."

// through is the emulator's clients of a service, signed as a deploy's,
// sent to the front.
type through struct {
	e   *localaws.Emulator
	rds *rds.Client
}

func start(t testing.TB) *through {
	if testing.Short() {
		t.Skip("starts moto and PostgreSQL; skipped in -short mode (make test runs it)")
	}
	e := localaws.Start(t, repoRoot, "us-east-1")
	return &through{e: e, rds: rds.NewFromConfig(e.FrontConfig())}
}

// cluster makes a cluster through the front, as the provider does, and a
// secret of its credentials on moto; it returns their ARNs.
func (th *through) cluster(t testing.TB, id, password string) (string, string) {
	t.Helper()
	ctx := localaws.Context(t)
	out, err := th.rds.CreateDBCluster(ctx, &rds.CreateDBClusterInput{
		DBClusterIdentifier: aws.String(id), Engine: aws.String("aurora-postgresql"), EngineVersion: aws.String("16.6"),
		DatabaseName: aws.String("main"), MasterUsername: aws.String("dbadmin"), MasterUserPassword: aws.String(password),
		EnableHttpEndpoint: aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.DBCluster.DBClusterArn), th.secret(t, id, password)
}

// secret writes a secret of the master user with a password on moto.
func (th *through) secret(t testing.TB, name, password string) string {
	t.Helper()
	out, err := th.e.SecretsManager().CreateSecret(localaws.Context(t), &secretsmanager.CreateSecretInput{
		Name: aws.String(name + "-" + fmt.Sprint(time.Now().UnixNano())), SecretString: aws.String(`{"username": "dbadmin", "password": "` + password + `"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func (th *through) sql(t testing.TB, cluster, secret, sql string) ([][]rdstypes.Field, error) {
	t.Helper()
	out, err := th.e.DataAPI().ExecuteStatement(localaws.Context(t), &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), Sql: aws.String(sql),
	})
	if err != nil {
		return nil, err
	}
	return out.Records, nil
}

func (th *through) must(t testing.TB, cluster, secret, sql string) [][]rdstypes.Field {
	t.Helper()
	records, err := th.sql(t, cluster, secret, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return records
}

// titles reads the movies' titles, sorted.
func (th *through) titles(t testing.TB, cluster, secret string) string {
	t.Helper()
	var titles []string
	for _, record := range th.must(t, cluster, secret, "select title from movies") {
		titles = append(titles, record[0].(*rdstypes.FieldMemberStringValue).Value)
	}
	sort.Strings(titles)
	return strings.Join(titles, ", ")
}

func TestFrontFollowsTheClustersLives(t *testing.T) {
	th := start(t)
	ctx := localaws.Context(t)
	cluster, secret := th.cluster(t, "dev", "first-password-1")
	th.must(t, cluster, secret, "create table movies (title text)")
	th.must(t, cluster, secret, "insert into movies values ('Arrival')")

	// A password set on the cluster: the old secret no longer opens it,
	// a secret with the new one does.
	if _, err := th.rds.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("dev"), MasterUserPassword: aws.String("second-password-2"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.sql(t, cluster, secret, "select 1"); err == nil || !strings.Contains(err.Error(), `password authentication failed for user "dbadmin"`) {
		t.Errorf("the old secret after the cluster's password changed: %v, want the login refused", err)
	}
	rotated := th.secret(t, "dev-rotated", "second-password-2")
	if got := th.titles(t, cluster, rotated); got != "Arrival" {
		t.Errorf("movies with the new password: %q, want Arrival", got)
	}

	// A snapshot keeps the data as it was; a restore starts from it.
	if _, err := th.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{DBClusterIdentifier: aws.String("dev"), DBClusterSnapshotIdentifier: aws.String("before")}); err != nil {
		t.Fatal(err)
	}
	th.must(t, cluster, rotated, "insert into movies values ('Solaris')")
	restored, err := th.rds.RestoreDBClusterFromSnapshot(ctx, &rds.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: aws.String("restored"), SnapshotIdentifier: aws.String("before"), Engine: aws.String("aurora-postgresql")})
	if err != nil {
		t.Fatal(err)
	}
	restoredARN := aws.ToString(restored.DBCluster.DBClusterArn)
	var notEnabled *rdstypes.HttpEndpointNotEnabledException
	if _, err := th.sql(t, restoredARN, rotated, "select 1"); !errors.As(err, &notEnabled) {
		t.Errorf("a restored cluster before its Data API is enabled: %v, want HttpEndpointNotEnabledException", err)
	}
	// AWS restores with the source's master password; the provider then
	// sets the stage's own, and enables the Data API.
	if _, err := th.rds.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("restored"), MasterUserPassword: aws.String("restored-password-3"), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	_, _ = th.rds.EnableHttpEndpoint(ctx, &rds.EnableHttpEndpointInput{ResourceArn: aws.String(restoredARN)})
	restoredSecret := th.secret(t, "restored", "restored-password-3")
	if got := th.titles(t, restoredARN, restoredSecret); got != "Arrival" {
		t.Errorf("movies of the cluster restored from the snapshot: %q, want Arrival alone, as it was", got)
	}
	th.must(t, restoredARN, restoredSecret, "insert into movies values ('Stalker')")
	if got := th.titles(t, cluster, rotated); got != "Arrival, Solaris" {
		t.Errorf("the source's movies after the restore was written: %q, want Arrival, Solaris", got)
	}

	// A point-in-time restore is a copy of the source as it is.
	pitr, err := th.rds.RestoreDBClusterToPointInTime(ctx, &rds.RestoreDBClusterToPointInTimeInput{DBClusterIdentifier: aws.String("clone"), SourceDBClusterIdentifier: aws.String("dev"), RestoreType: aws.String("copy-on-write"), UseLatestRestorableTime: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	pitrARN := aws.ToString(pitr.DBCluster.DBClusterArn)
	if _, err := th.rds.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{DBClusterIdentifier: aws.String("clone"), MasterUserPassword: aws.String("clone-password-4"), EnableHttpEndpoint: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if got := th.titles(t, pitrARN, th.secret(t, "clone", "clone-password-4")); got != "Arrival, Solaris" {
		t.Errorf("movies of the clone: %q, want the source's, Arrival, Solaris", got)
	}

	// A cluster made again under the identifier starts empty.
	if _, err := th.rds.DeleteDBCluster(ctx, &rds.DeleteDBClusterInput{DBClusterIdentifier: aws.String("dev"), SkipFinalSnapshot: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.sql(t, cluster, rotated, "select 1"); !errors.As(err, &notEnabled) {
		t.Errorf("a deleted cluster: %v, want HttpEndpointNotEnabledException", err)
	}
	// moto names its automated snapshot of a new cluster by the minute
	// and keeps it after the cluster: a second cluster of the identifier
	// within the minute would collide with the first one's.
	automated, err := th.e.RDS().DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: aws.String("dev"), SnapshotType: aws.String("automated")})
	if err != nil {
		t.Fatal(err)
	}
	for _, snapshot := range automated.DBClusterSnapshots {
		if _, err := th.e.RDS().DeleteDBClusterSnapshot(ctx, &rds.DeleteDBClusterSnapshotInput{DBClusterSnapshotIdentifier: snapshot.DBClusterSnapshotIdentifier}); err != nil {
			t.Fatal(err)
		}
	}
	again, againSecret := th.cluster(t, "dev", "new-cluster-password-5")
	if _, err := th.sql(t, again, againSecret, "select title from movies"); err == nil || !strings.Contains(err.Error(), `relation "movies" does not exist`) {
		t.Errorf("the movies of a cluster made again: %v, want none", err)
	}
}

// The round trip of a statement through the front: its checks of the
// cluster and the secret, a pooled login, PostgreSQL. make bench-local
// reports it (docs/local.md).
func BenchmarkFrontStatementRoundTrip(b *testing.B) {
	th := start(b)
	cluster, secret := th.cluster(b, "bench", "bench-password-1")
	api := th.e.DataAPI()
	input := &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), Sql: aws.String("select 1")}
	ctx := context.Background()
	if _, err := api.ExecuteStatement(ctx, input); err != nil {
		b.Fatal(err)
	}
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		if _, err := api.ExecuteStatement(ctx, input); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(began))
	}
	b.StopTimer()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "ms/median")
}
