package main

// The example waits for a resuming database as make query does: users copy
// main.go into their own module, where internal/stagequery cannot be
// imported, so the example keeps its own copy of the policy and this test
// holds the two to the same attempts, waits, lines and final message.
// __tests__/consumer_example_test.go runs the compiled example.

import (
	"bytes"
	"context"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"aurora-stages/internal/stagequery"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
)

// resumingDataAPI answers SSM's GetParameter with an ARN and the Data API
// with DatabaseResumingException resumes times, then with one row.
type resumingDataAPI struct {
	resumes    int
	mu         sync.Mutex
	statements int
}

func (f *resumingDataAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if r.Header.Get("X-Amz-Target") == "AmazonSSM.GetParameter" {
		w.Write([]byte(`{"Parameter": {"Value": "arn:aws:rds:us-east-1:123456789012:cluster:main-movies-dev-cluster"}}`))
		return
	}
	f.mu.Lock()
	f.statements++
	resuming := f.statements <= f.resumes
	f.mu.Unlock()
	if resuming {
		w.Header().Set("X-Amzn-Errortype", "DatabaseResumingException")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"message": "The database is resuming after being auto-paused."}`))
		return
	}
	w.Write([]byte(`{"records": [[{"stringValue": "Heat"}]]}`))
}

// waits is what one run did: the statements it sent, the waits between
// them, the lines it printed while waiting and the error it ended with.
type waits struct {
	statements int
	sleeps     []time.Duration
	lines      []string
	err        string
}

func exampleWaits(resumes int) waits {
	fake := &resumingDataAPI{resumes: resumes}
	server := httptest.NewServer(fake)
	defer server.Close()
	client := rdsdata.New(rdsdata.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
	})
	var printed bytes.Buffer
	log.SetOutput(&printed)
	log.SetFlags(0)
	defer log.SetOutput(os.Stderr)
	defer log.SetFlags(log.LstdFlags)
	var got waits
	_, err := execute(context.Background(), client, "dev", &rdsdata.ExecuteStatementInput{ResourceArn: aws.String("arn"), SecretArn: aws.String("arn"), Sql: aws.String("select 1")},
		func(_ context.Context, d time.Duration) error { got.sleeps = append(got.sleeps, d); return nil })
	if err != nil {
		got.err = err.Error()
	}
	got.statements = fake.statements
	got.lines = strings.Split(strings.TrimSuffix(printed.String(), "\n"), "\n")
	return got
}

func stagequeryWaits(resumes int) waits {
	fake := &resumingDataAPI{resumes: resumes}
	server := httptest.NewServer(fake)
	defer server.Close()
	stage := settings.StageConfig{Stage: "dev", Region: "us-east-1", DatabaseName: "main",
		Account: settings.AccountSettings{Service: "movies", Region: "us-east-1", LocalEndpoint: server.URL}}
	var got waits
	_, err := stagequery.Execute(context.Background(), stage, "", "select 1", nil,
		func(line string) { got.lines = append(got.lines, line) },
		func(d time.Duration) { got.sleeps = append(got.sleeps, d) })
	if err != nil {
		got.err = err.Error()
	}
	got.statements = fake.statements
	if got.lines == nil {
		got.lines = []string{""}
	}
	return got
}

// GIVEN a database that resumes after some attempts, or never
// WHEN the example and make query's code run a statement on it
// THEN both send as many statements, wait as long between them, print the
// same lines and end with the same message.
func TestExampleWaitsForAResumingDatabaseAsMakeQueryDoes(t *testing.T) {
	if resumeStep != stagequery.ResumeStep || resumeWait != stagequery.ResumeWait {
		t.Errorf("the example waits %s at a time for at most %s, make query %s for at most %s", resumeStep, resumeWait, stagequery.ResumeStep, stagequery.ResumeWait)
	}
	for _, resumes := range []int{0, 1, 3, 12, 13, 100} {
		example, query := exampleWaits(resumes), stagequeryWaits(resumes)
		if example.statements != query.statements || !slices.Equal(example.sleeps, query.sleeps) || !slices.Equal(example.lines, query.lines) || example.err != query.err {
			t.Errorf("a database resuming for %d attempts:\nexample: %+v\nquery:   %+v", resumes, example, query)
		}
		if resumes == 100 && (query.statements != 13 || query.err == "") {
			t.Errorf("a database that never resumes: %d statements, error %q; want 13 and an error", query.statements, query.err)
		}
	}
}
