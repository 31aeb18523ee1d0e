// Package stagequery runs one SQL statement on a stage's database the way
// its consumers do: it reads the stage's two SSM parameters by name (never
// Terraform's outputs or state) and calls the Data API with those ARNs,
// waiting while a paused database resumes. make query (cmd/query), the
// restore drill (cmd/restore-drill) and the migrations (cmd/migrate) reach
// the database through it.
//
// It never reads or prints the secret's value: the Data API does, with the
// caller's rights.
package stagequery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"aurora-stages/internal/awsconfig"
	"aurora-stages/settings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"
)

// ResumeWait bounds how long a statement waits for a paused database to
// resume (Serverless v2 resumes from 0 ACU in about 15 seconds, sometimes
// more).
const ResumeWait = 2 * time.Minute

// ResumeStep is how long it waits between two attempts.
const ResumeStep = 10 * time.Second

// Database is a stage's database as its consumers reach it: the Data API
// and the two ARNs the stage's SSM parameters hold.
type Database struct {
	API                    *rdsdata.Client
	ResourceARN, SecretARN string
	// Name is the database to use: the stage's databaseName unless asked.
	Name string
	cfg  settings.StageConfig
}

// Open reads the stage's two SSM parameters, in the stage's region, with
// the SDK configuration awsCfg (the caller's credentials, or the stage's
// assumed role), and returns its database; database "" is the stage's
// databaseName.
func Open(ctx context.Context, cfg settings.StageConfig, awsCfg aws.Config, database string) (*Database, error) {
	if database == "" {
		database = cfg.DatabaseName
	}
	ssmClient := ssm.NewFromConfig(awsCfg)
	secretARN, err := readParameter(ctx, ssmClient, cfg.Stage, cfg.CredentialsArnParameter(), cfg.AccessPolicyName())
	if err != nil {
		return nil, err
	}
	clusterARN, err := readParameter(ctx, ssmClient, cfg.Stage, cfg.ResourceArnParameter(), cfg.AccessPolicyName())
	if err != nil {
		return nil, err
	}
	return &Database{API: rdsdata.NewFromConfig(awsCfg), ResourceARN: clusterARN, SecretARN: secretARN, Name: database, cfg: cfg}, nil
}

// Resume returns a wrapper for Data API calls on the stage's database:
// while the database resumes from its pause (DatabaseResumingException), it
// calls waiting with a line saying so, then sleep, and calls again, for at
// most ResumeWait. Its errors say what to do in one line. make query, the
// restore drill and the migrations wait alike through it.
func (d *Database) Resume(waiting func(message string), sleep func(time.Duration)) func(ctx context.Context, call func() error) error {
	return func(ctx context.Context, call func() error) error {
		for waited := time.Duration(0); ; waited += ResumeStep {
			err := call()
			var resuming *rdstypes.DatabaseResumingException
			if errors.As(err, &resuming) && waited < ResumeWait {
				waiting(fmt.Sprintf("the %s database is resuming from its pause; trying again in %s (waited %s of at most %s)", d.cfg.Stage, ResumeStep, waited, ResumeWait))
				sleep(ResumeStep)
				continue
			}
			if err != nil {
				return explain(err, d.cfg.Stage, "rds-data:ExecuteStatement", d.cfg.AccessPolicyName())
			}
			return nil
		}
	}
}

// Execute runs sql, with its parameters (:name in sql), on the stage's
// database (the stage's databaseName when database is empty), with the
// caller's credentials, waiting while a paused database resumes (Resume).
func Execute(ctx context.Context, cfg settings.StageConfig, database, sql string, parameters []rdstypes.SqlParameter, waiting func(message string), sleep func(time.Duration)) (*rdsdata.ExecuteStatementOutput, error) {
	ctx, cancel := context.WithTimeout(ctx, ResumeWait+time.Minute)
	defer cancel()
	awsCfg, err := awsconfig.Load(ctx, cfg.Account, cfg.Region)
	if err != nil {
		return nil, err
	}
	db, err := Open(ctx, cfg, awsCfg, database)
	if err != nil {
		return nil, err
	}
	return db.Execute(ctx, sql, parameters, waiting, sleep)
}

// Execute runs sql, with its parameters (:name in sql), on the database,
// waiting while a paused database resumes (Resume).
func (d *Database) Execute(ctx context.Context, sql string, parameters []rdstypes.SqlParameter, waiting func(message string), sleep func(time.Duration)) (*rdsdata.ExecuteStatementOutput, error) {
	input := &rdsdata.ExecuteStatementInput{
		ResourceArn:           aws.String(d.ResourceARN),
		SecretArn:             aws.String(d.SecretARN),
		Database:              aws.String(d.Name),
		Sql:                   aws.String(sql),
		Parameters:            parameters,
		IncludeResultMetadata: true,
	}
	var out *rdsdata.ExecuteStatementOutput
	err := d.Resume(waiting, sleep)(ctx, func() (err error) {
		out, err = d.API.ExecuteStatement(ctx, input)
		return err
	})
	return out, err
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
		return fmt.Errorf("the %s database is still resuming from its pause after %s; try again in a minute", stage, ResumeWait)
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

// WriteTable prints the records under their column names, aligned; a
// statement without a result set prints how many records it changed.
func WriteTable(w io.Writer, result *rdsdata.ExecuteStatementOutput) error {
	if len(result.ColumnMetadata) == 0 {
		_, err := fmt.Fprintln(w, Updated(result.NumberOfRecordsUpdated))
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
	_, err := fmt.Fprintf(w, "(%s)\n", Rows(len(result.Records)))
	return err
}

// Updated says how many records a statement changed: "1 record updated",
// "0 records updated".
func Updated(n int64) string {
	if n == 1 {
		return "1 record updated"
	}
	return fmt.Sprintf("%d records updated", n)
}

// Rows counts rows as psql does: "1 row", "2 rows".
func Rows(n int) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

// WriteJSON prints the records as a JSON array of objects keyed by column.
func WriteJSON(w io.Writer, result *rdsdata.ExecuteStatementOutput) error {
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

// Parameter reads a statement's parameter as --param takes it, name=value,
// its value a JSON literal for its type: 1999 is a longValue, 7.9 a
// doubleValue, true a booleanValue, null isNull, "1999" (quoted) a
// stringValue; a value that is no JSON literal is a stringValue as it is
// (title=Arrival).
func Parameter(flag string) (rdstypes.SqlParameter, error) {
	name, literal, found := strings.Cut(flag, "=")
	if !found || name == "" {
		return rdstypes.SqlParameter{}, fmt.Errorf("--param %q: want name=value (year=1999, title=Arrival, 'title=\"1999\"' for text)", flag)
	}
	parameter := rdstypes.SqlParameter{Name: aws.String(name)}
	var value any
	decoder := json.NewDecoder(strings.NewReader(literal))
	decoder.UseNumber()
	if err := decoder.Decode(&value); err != nil || decoder.More() {
		parameter.Value = &rdstypes.FieldMemberStringValue{Value: literal}
		return parameter, nil
	}
	switch v := value.(type) {
	case nil:
		parameter.Value = &rdstypes.FieldMemberIsNull{Value: true}
	case bool:
		parameter.Value = &rdstypes.FieldMemberBooleanValue{Value: v}
	case string:
		parameter.Value = &rdstypes.FieldMemberStringValue{Value: v}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			parameter.Value = &rdstypes.FieldMemberLongValue{Value: n}
		} else if f, err := v.Float64(); err == nil {
			parameter.Value = &rdstypes.FieldMemberDoubleValue{Value: f}
		}
	default:
		// An array or an object: PostgreSQL reads it as text (a json
		// column casts it).
		parameter.Value = &rdstypes.FieldMemberStringValue{Value: literal}
	}
	return parameter, nil
}
