package tests

// Real SQL on the emulator: the front before moto answers the Data API from
// a PostgreSQL per cluster (internal/localfront), so the consumer's path is
// proven with real rows and a real login: steps of the emulator tests'
// deploys.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"aurora-stages/internal/localaws"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// runConsumerOnEmulator runs the consumer example against the emulator's
// one address, as docs/local.md tells a consumer to.
func runConsumerOnEmulator(t *testing.T, p *project) (code int, stdout, stderr string) {
	t.Helper()
	return runCommand(t, consumerCommand(t, p.emulator.Endpoint))
}

// The consumer example reads the title of 1999 from the movies the
// migrations made; with its database paused for two calls it waits twice,
// then reads it.
func expectConsumerExampleReads(t *testing.T, p *project) {
	// migrations/0001_create_movies.sql's films of 1999.
	const titles = "The Matrix\nFight Club\n"
	code, stdout, stderr := runConsumerOnEmulator(t, p)
	if code != 0 || stdout != titles || stderr != "" {
		t.Errorf("consumer example: exit %d, stdout %q, stderr %q; want exit 0 and %q", code, stdout, stderr, titles)
	}
	p.emulator.PauseDataAPI(t, p.parameter("movies-dev-resource-arn"), 2)
	code, stdout, stderr = runConsumerOnEmulator(t, p)
	waits := strings.Count(stderr, "consumer: the dev database is resuming from its pause; trying again in 10s")
	if code != 0 || stdout != titles || waits != 2 {
		t.Errorf("consumer example on a paused database: exit %d, stdout %q, %d waits, stderr:\n%s\nwant exit 0, the titles after two waits", code, stdout, waits, stderr)
	}
}

// A transaction spans calls and a rollback leaves nothing; a secret whose
// password is not the cluster's is refused by PostgreSQL's own login; a
// cluster that does not exist has no Data API.
func expectTransactionsAndSecretsAsOnAWS(t *testing.T, p *project) {
	ctx := localaws.Context(t)
	api := p.emulator.DataAPI()
	cluster, secret := p.parameter("movies-dev-resource-arn"), p.parameter("movies-dev-credentials-arn")
	execute := func(sql, transaction string) (*rdsdata.ExecuteStatementOutput, error) {
		input := &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), Database: aws.String("main"), Sql: aws.String(sql)}
		if transaction != "" {
			input.TransactionId = aws.String(transaction)
		}
		return api.ExecuteStatement(ctx, input)
	}
	count := func(title string) int64 {
		t.Helper()
		out, err := execute(fmt.Sprintf("select count(*) from watchlist where title = '%s'", title), "")
		if err != nil || len(out.Records) != 1 {
			t.Fatalf("counting %s: %v", title, err)
		}
		n, _ := out.Records[0][0].(*rdstypes.FieldMemberLongValue)
		if n == nil {
			t.Fatalf("count(*) is %T, want a longValue", out.Records[0][0])
		}
		return n.Value
	}

	for _, end := range []string{"rollback", "commit"} {
		begun, err := api.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), Database: aws.String("main")})
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(begun.TransactionId)
		inserted, err := execute("insert into watchlist (title, year) values ('Solaris', 1972)", id)
		if err != nil || inserted.NumberOfRecordsUpdated != 1 {
			t.Fatalf("insert in transaction %s: %v", id, err)
		}
		if n := count("Solaris"); n != 0 {
			t.Errorf("before its %s, the transaction's row is seen outside it (%d rows)", end, n)
		}
		want := int64(0)
		if end == "rollback" {
			_, err = api.RollbackTransaction(ctx, &rdsdata.RollbackTransactionInput{ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), TransactionId: aws.String(id)})
		} else {
			_, err = api.CommitTransaction(ctx, &rdsdata.CommitTransactionInput{ResourceArn: aws.String(cluster), SecretArn: aws.String(secret), TransactionId: aws.String(id)})
			want = 1
		}
		if err != nil {
			t.Fatalf("%s: %v", end, err)
		}
		if n := count("Solaris"); n != want {
			t.Errorf("after the %s: %d rows of Solaris, want %d", end, n, want)
		}
	}
	if _, err := execute("delete from watchlist where title = 'Solaris'", ""); err != nil {
		t.Fatal(err)
	}

	wrong, err := p.emulator.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("movies-dev-wrong-password"), SecretString: aws.String(`{"username": "dbadmin", "password": "not-the-password"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(cluster), SecretArn: wrong.ARN, Sql: aws.String("select 1")})
	if err == nil || !strings.Contains(err.Error(), `password authentication failed for user "dbadmin"`) {
		t.Errorf("a secret with another password: %v, want PostgreSQL's login refused", err)
	}
	var notEnabled *rdstypes.HttpEndpointNotEnabledException
	_, err = api.ExecuteStatement(ctx, &rdsdata.ExecuteStatementInput{ResourceArn: aws.String(strings.Replace(cluster, "main-movies-dev-cluster", "no-such-cluster", 1)), SecretArn: aws.String(secret), Sql: aws.String("select 1")})
	if !errors.As(err, &notEnabled) {
		t.Errorf("a cluster that does not exist: %v, want HttpEndpointNotEnabledException", err)
	}
}

// expectDevMigrated applies the repository's migrations to the deployed
// dev, as make migrate does: through dev's SSM parameters and secret; a
// second run has nothing to do, and the status says who applied each.
func expectDevMigrated(t *testing.T, p *project) {
	t.Helper()
	migrate := goBinary(t, "./cmd/migrate")
	dir := filepath.Join(repoRootPath, "migrations")
	out, err := p.run("", migrate, "--stage", "dev", "--dir", dir, "--plan")
	if err != nil || !strings.Contains(out, "would run") || !strings.Contains(out, "0001_create_movies.sql") {
		t.Fatalf("migrate --plan on dev: %v, want the pending files listed:\n%s", err, out)
	}
	out, err = p.run("", migrate, "--stage", "dev", "--dir", dir)
	if err != nil || !strings.Contains(out, "migrate: stage dev: ") || !strings.Contains(out, " applied") {
		t.Fatalf("migrate on dev: %v\n%s", err, out)
	}
	out, err = p.run("", migrate, "--stage", "dev", "--dir", dir)
	if err != nil || !strings.Contains(out, "migrate: stage dev is up to date: nothing to apply") {
		t.Errorf("migrate again on dev: %v, want nothing to apply:\n%s", err, out)
	}
	out, err = p.run("", migrate, "--stage", "dev", "--dir", dir, "--status")
	if err != nil || !strings.Contains(out, "0 pending") || !strings.Contains(out, "0001") || !strings.Contains(out, "arn:aws:") {
		t.Errorf("migrate --status on dev: %v, want every file applied, by whom:\n%s", err, out)
	}
}
