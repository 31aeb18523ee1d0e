package migrate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata"
	"github.com/aws/aws-sdk-go-v2/service/rdsdata/types"
)

// DataAPI is what the package needs of the Data API: *rdsdata.Client satisfies it.
type DataAPI interface {
	ExecuteStatement(ctx context.Context, in *rdsdata.ExecuteStatementInput, opts ...func(*rdsdata.Options)) (*rdsdata.ExecuteStatementOutput, error)
	BeginTransaction(ctx context.Context, in *rdsdata.BeginTransactionInput, opts ...func(*rdsdata.Options)) (*rdsdata.BeginTransactionOutput, error)
	CommitTransaction(ctx context.Context, in *rdsdata.CommitTransactionInput, opts ...func(*rdsdata.Options)) (*rdsdata.CommitTransactionOutput, error)
	RollbackTransaction(ctx context.Context, in *rdsdata.RollbackTransactionInput, opts ...func(*rdsdata.Options)) (*rdsdata.RollbackTransactionOutput, error)
}

// Target is one stage's database as the Data API reaches it.
type Target struct {
	API                              DataAPI
	ResourceARN, SecretARN, Database string
	// Retry wraps every Data API call; the caller's resume handling
	// (waiting while a paused database answers DatabaseResumingException)
	// goes here. nil: call once.
	Retry func(ctx context.Context, call func() error) error
}

func (t Target) retry(ctx context.Context, call func() error) error {
	if t.Retry == nil {
		return call()
	}
	return t.Retry(ctx, call)
}

func (t Target) database() *string {
	if t.Database == "" {
		return nil
	}
	return aws.String(t.Database)
}

// execute runs one statement, in transaction tx ("" for none).
func (t Target) execute(ctx context.Context, tx, sql string, params ...types.SqlParameter) (*rdsdata.ExecuteStatementOutput, error) {
	in := &rdsdata.ExecuteStatementInput{
		ResourceArn: aws.String(t.ResourceARN), SecretArn: aws.String(t.SecretARN), Database: t.database(),
		Sql: aws.String(sql), Parameters: params,
	}
	if tx != "" {
		in.TransactionId = aws.String(tx)
	}
	var out *rdsdata.ExecuteStatementOutput
	err := t.retry(ctx, func() (err error) {
		out, err = t.API.ExecuteStatement(ctx, in)
		return err
	})
	return out, err
}

func (t Target) begin(ctx context.Context) (string, error) {
	var out *rdsdata.BeginTransactionOutput
	err := t.retry(ctx, func() (err error) {
		out, err = t.API.BeginTransaction(ctx, &rdsdata.BeginTransactionInput{ResourceArn: aws.String(t.ResourceARN), SecretArn: aws.String(t.SecretARN), Database: t.database()})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("beginning a transaction on %s: %w", t.ResourceARN, err)
	}
	return aws.ToString(out.TransactionId), nil
}

func (t Target) commit(ctx context.Context, tx string) error {
	return t.retry(ctx, func() error {
		_, err := t.API.CommitTransaction(ctx, &rdsdata.CommitTransactionInput{ResourceArn: aws.String(t.ResourceARN), SecretArn: aws.String(t.SecretARN), TransactionId: aws.String(tx)})
		return err
	})
}

// rollback ends tx even when ctx is done (a cancelled run must still give
// its lock back); its error is returned for the caller to add to its own.
func (t Target) rollback(ctx context.Context, tx string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	return t.retry(ctx, func() error {
		_, err := t.API.RollbackTransaction(ctx, &rdsdata.RollbackTransactionInput{ResourceArn: aws.String(t.ResourceARN), SecretArn: aws.String(t.SecretARN), TransactionId: aws.String(tx)})
		return err
	})
}

// callError is a Data API call's error that reads as PostgreSQL's message
// when it is a DatabaseErrorException (the SDK's text around it names the
// HTTP request, not the problem), and still unwraps to the SDK's error for
// a caller's errors.As.
type callError struct{ err error }

func (e callError) Error() string {
	var dbErr *types.DatabaseErrorException
	if errors.As(e.err, &dbErr) {
		return dbErr.ErrorMessage()
	}
	return e.err.Error()
}

func (e callError) Unwrap() error { return e.err }

func failed(err error) error {
	if err == nil {
		return nil
	}
	return callError{err}
}

func longParam(name string, value int) types.SqlParameter {
	return types.SqlParameter{Name: aws.String(name), Value: &types.FieldMemberLongValue{Value: int64(value)}}
}

func stringParam(name, value string) types.SqlParameter {
	return types.SqlParameter{Name: aws.String(name), Value: &types.FieldMemberStringValue{Value: value}}
}

// rowField reads one column of a row of table (HistoryTable or
// LockTable) as the package's own queries type it; anything else means the
// table is not the one this package creates.
func rowField[T any](row []types.Field, column int, table, name string) (T, error) {
	var zero T
	if column >= len(row) {
		return zero, fmt.Errorf("%s: a row has %d columns, %s is missing: the table is not the one this package creates", table, len(row), name)
	}
	switch f := row[column].(type) {
	case *types.FieldMemberStringValue:
		if v, ok := any(f.Value).(T); ok {
			return v, nil
		}
	case *types.FieldMemberLongValue:
		if v, ok := any(int(f.Value)).(T); ok {
			return v, nil
		}
	}
	return zero, fmt.Errorf("%s: column %s is a %T, want a %T: the table is not the one this package creates", table, name, row[column], zero)
}

func fieldIsNull(f types.Field) bool {
	n, ok := f.(*types.FieldMemberIsNull)
	return ok && n.Value
}
