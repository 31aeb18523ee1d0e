package localdataapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Error is an answer AWS's Data API gives: its exception name, HTTP status and message.
type Error struct {
	Name    string
	Status  int
	Message string
	// DBConnectionID is set on a StatementTimeoutException only, as AWS's
	// model has it: the backend process that ran the statement.
	DBConnectionID int64
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// The exception names and statuses below are those of the rds-data service
// model (botocore's rds-data/2018-08-01/service-2.json).

func badRequest(format string, args ...any) *Error {
	return &Error{Name: "BadRequestException", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

func internalError(err error) *Error {
	return &Error{Name: "InternalServerErrorException", Status: http.StatusInternalServerError, Message: err.Error()}
}

func transactionNotFound(id string) *Error {
	return &Error{Name: "TransactionNotFoundException", Status: http.StatusNotFound, Message: fmt.Sprintf("Transaction %s is not found", id)}
}

func statementTimeout(pid uint32) *Error {
	return &Error{Name: "StatementTimeoutException", Status: http.StatusBadRequest, Message: "Request timed out", DBConnectionID: int64(pid)}
}

// responseTooLarge is what AWS answers when a result passes its size limit;
// clients (aurora-data-api, data-api-client) match this exact text to fall
// back to paging.
func responseTooLarge() *Error {
	return badRequest("Database returned more than the allowed response size limit")
}

func unsupportedResult(format string, args ...any) *Error {
	return &Error{Name: "UnsupportedResultException", Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// databaseResuming is what a Serverless v2 cluster answers while it resumes
// from a pause. AWS names the writer instance; the handler only knows the
// cluster, so it names that.
func databaseResuming(resourceARN string) *Error {
	return &Error{
		Name:    "DatabaseResumingException",
		Status:  http.StatusBadRequest,
		Message: fmt.Sprintf("The Aurora DB instance %s is resuming after being auto-paused. Please wait a few seconds and try again.", clusterIdentifier(resourceARN)),
	}
}

func clusterIdentifier(resourceARN string) string {
	if i := strings.LastIndex(resourceARN, ":"); i >= 0 {
		return resourceARN[i+1:]
	}
	return resourceARN
}

// asAnswer turns any error met while serving a call into what AWS would
// answer. PostgreSQL's own errors become DatabaseErrorException in the form
// the Data API gives them (pgJDBC's message, then the SQLSTATE), which is
// what callers parse the SQLSTATE from.
func asAnswer(err error) *Error {
	var answer *Error
	if errors.As(err, &answer) {
		return answer
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return &Error{Name: "DatabaseErrorException", Status: http.StatusBadRequest, Message: postgresMessage(pgErr)}
	}
	return internalError(err)
}

func postgresMessage(pgErr *pgconn.PgError) string {
	var b strings.Builder
	b.WriteString(pgErr.Severity)
	b.WriteString(": ")
	b.WriteString(pgErr.Message)
	if pgErr.Position > 0 {
		fmt.Fprintf(&b, "\n  Position: %d", pgErr.Position)
	}
	b.WriteString("; SQLState: ")
	b.WriteString(pgErr.Code)
	return b.String()
}
