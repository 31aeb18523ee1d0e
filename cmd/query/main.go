// Command query runs one SQL statement on a stage's database the way its
// consumers do: it reads the stage's two SSM parameters by name (never
// Terraform's outputs or state) and calls the Data API with those ARNs.
//
//	go run ./cmd/query --stage dev [--format table|json] [--database NAME] "select now()"
//
// Exit status: 0 on success, 1 on any error, said in one line. It never
// reads or prints the secret's value: the Data API does, with the caller's
// rights.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/internal/jsiiruntime"
	"aurora-stages/stacks"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

func main() {
	// The CDKTF bindings this command links (through stacks) extract jsii's
	// runtime when the program starts; Setup and Exit see that it is
	// removed again, though nothing here calls jsii.
	jsiiruntime.Setup()
	jsiiruntime.Exit("query", run(os.Args[1:], os.Stdout, os.Stderr, time.Sleep))
}

// resumeWait bounds how long a query waits for a paused database to resume
// (Serverless v2 resumes from 0 ACU in about 15 seconds, sometimes more).
const resumeWait = 2 * time.Minute

// resumeStep is how long it waits between two attempts.
const resumeStep = 10 * time.Second

func run(args []string, stdout, stderr io.Writer, sleep func(time.Duration)) int {
	flags := flag.NewFlagSet("query", flag.ContinueOnError)
	flags.SetOutput(stderr)
	stage := flags.String("stage", "", "the stage whose database to query")
	format := flags.String("format", "table", "output format: table or json")
	database := flags.String("database", "", "the database to connect to (default: the stage's databaseName)")
	if err := flags.Parse(args); err != nil {
		return 1
	}
	if *stage == "" || flags.NArg() != 1 {
		fmt.Fprintln(stderr, `query: name a stage and one statement: go run ./cmd/query --stage dev "select now()"`)
		return 1
	}
	if *format != "table" && *format != "json" {
		fmt.Fprintf(stderr, "query: --format %q: must be table or json\n", *format)
		return 1
	}
	result, err := query(*stage, *database, flags.Arg(0), stderr, sleep)
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	if *format == "json" {
		err = writeJSON(stdout, result)
	} else {
		err = writeTable(stdout, result)
	}
	if err != nil {
		fmt.Fprintln(stderr, "query:", err)
		return 1
	}
	return 0
}

func query(stage, database, sql string, stderr io.Writer, sleep func(time.Duration)) (*rdsdata.ExecuteStatementOutput, error) {
	resolved, err := stacks.LoadStage(stage, "the bootstrap stack has no database")
	if err != nil {
		return nil, err
	}
	cfg := resolved.Stages[0]
	if database == "" {
		database = cfg.DatabaseName
	}
	ctx, cancel := context.WithTimeout(context.Background(), resumeWait+time.Minute)
	defer cancel()
	// The stage's parameters and cluster are in the stage's region.
	awsCfg, err := awsconfig.Load(ctx, cfg.Account, cfg.Region)
	if err != nil {
		return nil, err
	}

	parameters := ssm.NewFromConfig(awsCfg)
	secretARN, err := readParameter(ctx, parameters, stage, cfg.CredentialsArnParameter(), cfg.AccessPolicyName())
	if err != nil {
		return nil, err
	}
	clusterARN, err := readParameter(ctx, parameters, stage, cfg.ResourceArnParameter(), cfg.AccessPolicyName())
	if err != nil {
		return nil, err
	}

	dataAPI := rdsdata.NewFromConfig(awsCfg)
	input := &rdsdata.ExecuteStatementInput{
		ResourceArn:           aws.String(clusterARN),
		SecretArn:             aws.String(secretARN),
		Database:              aws.String(database),
		Sql:                   aws.String(sql),
		IncludeResultMetadata: true,
	}
	for waited := time.Duration(0); ; waited += resumeStep {
		out, err := dataAPI.ExecuteStatement(ctx, input)
		var resuming *rdstypes.DatabaseResumingException
		if errors.As(err, &resuming) && waited < resumeWait {
			fmt.Fprintf(stderr, "query: the %s database is resuming from its pause; trying again in %s (waited %s of at most %s)\n", stage, resumeStep, waited, resumeWait)
			sleep(resumeStep)
			continue
		}
		if err != nil {
			return nil, explain(err, stage, "rds-data:ExecuteStatement", cfg.AccessPolicyName())
		}
		return out, nil
	}
}

// readParameter reads one of the stage's parameters, naming it and the
// stage when it is missing.
func readParameter(ctx context.Context, client *ssm.Client, stage, name, policy string) (string, error) {
	out, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	var missing *ssmtypes.ParameterNotFound
	if errors.As(err, &missing) {
		return "", fmt.Errorf("stage %s is not deployed here: SSM parameter %s not found (deploy it with cdktf deploy %s, or check the account and region)", stage, name, stage)
	}
	if err != nil {
		return "", explain(err, stage, "ssm:GetParameter", policy)
	}
	return aws.ToString(out.Parameter.Value), nil
}

// explain turns the errors a user will meet into one line that says what
// to do; the rest keep AWS's message.
func explain(err error, stage, action, policy string) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return err
	}
	switch api.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedException":
		return fmt.Errorf("access denied to %s on stage %s: attach the IAM policy %s (the stack's output access_policy_arn) to your role, or list the role in the stage's consumerRoleNames", action, stage, policy)
	case "DatabaseResumingException":
		return fmt.Errorf("the %s database is still resuming from its pause after %s; try again in a minute", stage, resumeWait)
	case "BadRequestException", "DatabaseErrorException":
		return fmt.Errorf("the database refused the statement: %s", api.ErrorMessage())
	}
	return err
}

// value renders one field of a record as text.
func value(field rdstypes.Field) any {
	switch f := field.(type) {
	case *rdstypes.FieldMemberIsNull:
		return nil
	case *rdstypes.FieldMemberStringValue:
		return f.Value
	case *rdstypes.FieldMemberLongValue:
		return f.Value
	case *rdstypes.FieldMemberDoubleValue:
		return f.Value
	case *rdstypes.FieldMemberBooleanValue:
		return f.Value
	case *rdstypes.FieldMemberBlobValue:
		return f.Value
	case *rdstypes.FieldMemberArrayValue:
		return fmt.Sprint(f.Value)
	}
	return fmt.Sprint(field)
}

func columns(result *rdsdata.ExecuteStatementOutput) []string {
	names := make([]string, len(result.ColumnMetadata))
	for i, column := range result.ColumnMetadata {
		names[i] = aws.ToString(column.Name)
	}
	return names
}

// writeTable prints the records under their column names, aligned; a
// statement without a result set prints how many records it changed.
func writeTable(w io.Writer, result *rdsdata.ExecuteStatementOutput) error {
	if len(result.ColumnMetadata) == 0 {
		_, err := fmt.Fprintf(w, "%d records updated\n", result.NumberOfRecordsUpdated)
		return err
	}
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(table, strings.Join(columns(result), "\t"))
	for _, record := range result.Records {
		cells := make([]string, len(record))
		for i, field := range record {
			switch v := value(field).(type) {
			case nil:
				cells[i] = "NULL"
			case string:
				cells[i] = v
			case float64:
				cells[i] = strconv.FormatFloat(v, 'g', -1, 64)
			default:
				cells[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(table, strings.Join(cells, "\t"))
	}
	if err := table.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%d rows)\n", len(result.Records))
	return err
}

// writeJSON prints the records as a JSON array of objects keyed by column.
func writeJSON(w io.Writer, result *rdsdata.ExecuteStatementOutput) error {
	names := columns(result)
	rows := []map[string]any{}
	for _, record := range result.Records {
		row := map[string]any{}
		for i, field := range record {
			name := strconv.Itoa(i)
			if i < len(names) {
				name = names[i]
			}
			row[name] = value(field)
		}
		rows = append(rows, row)
	}
	encoder := json.NewEncoder(w)
	encoder.SetIndent("", "  ")
	return encoder.Encode(rows)
}
