package localdataapi

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

// BenchmarkStatementRoundTrip measures one ExecuteStatement through the
// rdsdata client, HTTP and all, as a consumer's test pays it: with a fresh
// login per call, with a Pool (a ping, then the statement), and inside a
// transaction. The issue asks for under 5 ms at the median, reported as
// ms/median; the front's own checks (the cluster, the secret) come on top.
func BenchmarkStatementRoundTrip(b *testing.B) {
	backend := &testBackend{
		connString: startPostgres(b, masterUser, masterPassword, clusterDatabase),
		secrets:    map[string][2]string{secretARN: {masterUser, masterPassword}},
	}
	pooled := testPooledBackend{&testBackend{connString: backend.connString, pool: NewPool(2), secrets: backend.secrets}}
	b.Cleanup(pooled.pool.Close)
	fresh, reused := newEndpoint(b, backend, nil), newEndpoint(b, pooled, nil)
	ctx := context.Background()
	input := func(tx *string) *rdsdata.ExecuteStatementInput {
		return &rdsdata.ExecuteStatementInput{
			ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN), TransactionId: tx,
			Sql:        aws.String("SELECT :id::int AS id, now() AS at"),
			Parameters: []types.SqlParameter{param("id", &types.FieldMemberLongValue{Value: 7})},
		}
	}
	measure := func(b *testing.B, f fixture, tx *string) {
		durations := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			if _, err := f.client.ExecuteStatement(ctx, input(tx)); err != nil {
				b.Fatal(err)
			}
			durations = append(durations, time.Since(start))
		}
		slices.Sort(durations)
		b.ReportMetric(float64(durations[len(durations)/2])/float64(time.Millisecond), "ms/median")
	}
	b.Run("fresh connection", func(b *testing.B) { measure(b, fresh, nil) })
	b.Run("pooled connection", func(b *testing.B) { measure(b, reused, nil) })
	b.Run("in a transaction", func(b *testing.B) {
		begun, err := fresh.client.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{ResourceArn: aws.String(clusterARN), SecretArn: aws.String(secretARN)})
		if err != nil {
			b.Fatal(err)
		}
		measure(b, fresh, begun.TransactionId)
	})
}
