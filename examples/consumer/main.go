// Command consumer is docs/consumers.md's example of a function that uses a
// stage's database: it finds the database through the stage's two SSM
// parameters and queries it through the Data API, waiting while a paused
// database resumes. Its role needs the stage's access policy (output
// access_policy_arn, or consumerRoleNames). DB_SERVICE and DB_STAGE name
// the stage (default movies and dev). It prints one line per error and exits
// 1. make test compiles it and runs it against a fake AWS; it is not part of
// the app.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// A stage that scales to zero answers the first statement after a pause
// with DatabaseResumingException; Serverless v2 resumes in about 15
// seconds, sometimes more. Wait as make query does: every 10 seconds, for
// at most 2 minutes.
const (
	resumeStep = 10 * time.Second
	resumeWait = 2 * time.Minute
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("consumer: ")
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return err
	}
	stage := getenv("DB_STAGE", "dev")
	prefix := getenv("DB_SERVICE", "movies") + "-" + stage
	resourceARN, secretARN, err := readARNs(ctx, ssm.NewFromConfig(cfg), stage, prefix+"-resource-arn", prefix+"-credentials-arn")
	if err != nil {
		return err
	}

	out, err := execute(ctx, rdsdata.NewFromConfig(cfg), stage, &rdsdata.ExecuteStatementInput{
		ResourceArn:           aws.String(resourceARN),
		SecretArn:             aws.String(secretARN),
		Database:              aws.String("main"),
		Sql:                   aws.String("select title from movies where year = :year"),
		Parameters:            []types.SqlParameter{{Name: aws.String("year"), Value: &types.FieldMemberLongValue{Value: 1999}}},
		IncludeResultMetadata: true,
	}, sleep)
	if err != nil {
		return err
	}
	for _, record := range out.Records {
		title, err := nullableString(record, 0)
		if err != nil {
			return fmt.Errorf("column title: %w", err)
		}
		if title == nil {
			fmt.Println("NULL")
			continue
		}
		fmt.Println(*title)
	}
	return nil
}

func getenv(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}

// readARNs reads the stage's two parameters, naming any that is missing or
// does not hold an ARN.
func readARNs(ctx context.Context, client *ssm.Client, stage string, names ...string) (string, string, error) {
	out, err := client.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		return "", "", fmt.Errorf("reading the SSM parameters %s: %w", strings.Join(names, ", "), err)
	}
	if len(out.InvalidParameters) > 0 {
		return "", "", fmt.Errorf("stage %s is not deployed here: not found in SSM: %s (deploy the stage, or check the account and region)", stage, strings.Join(out.InvalidParameters, ", "))
	}
	values := map[string]string{}
	for _, p := range out.Parameters {
		values[aws.ToString(p.Name)] = aws.ToString(p.Value)
	}
	for _, name := range names {
		if !arn.IsARN(values[name]) {
			return "", "", fmt.Errorf("SSM parameter %s holds %q, not an ARN", name, values[name])
		}
	}
	return values[names[0]], values[names[1]], nil
}

// execute runs a statement, trying again while the database resumes from
// its pause.
func execute(ctx context.Context, client *rdsdata.Client, stage string, input *rdsdata.ExecuteStatementInput, sleep func(context.Context, time.Duration) error) (*rdsdata.ExecuteStatementOutput, error) {
	for waited := time.Duration(0); ; waited += resumeStep {
		out, err := client.ExecuteStatement(ctx, input)
		var resuming *types.DatabaseResumingException
		if !errors.As(err, &resuming) {
			if err != nil {
				return nil, fmt.Errorf("querying the %s database: %w", stage, err)
			}
			return out, nil
		}
		if waited >= resumeWait {
			return nil, fmt.Errorf("the %s database is still resuming from its pause after %s; try again in a minute", stage, resumeWait)
		}
		log.Printf("the %s database is resuming from its pause; trying again in %s (waited %s of at most %s)", stage, resumeStep, waited, resumeWait)
		if err := sleep(ctx, resumeStep); err != nil {
			return nil, fmt.Errorf("waiting for the %s database to resume: %w", stage, err)
		}
	}
}

// sleep waits, or ends early with the function's deadline.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// nullableString reads a text column that may be NULL (nil).
func nullableString(record []types.Field, column int) (*string, error) {
	if column >= len(record) {
		return nil, fmt.Errorf("the record has %d columns", len(record))
	}
	switch field := record[column].(type) {
	case *types.FieldMemberStringValue:
		return &field.Value, nil
	case *types.FieldMemberIsNull:
		return nil, nil
	default:
		return nil, fmt.Errorf("expected text or NULL, got %T", field)
	}
}
