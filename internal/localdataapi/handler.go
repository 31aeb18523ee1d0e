// Package localdataapi is a local RDS Data API endpoint: it answers the Data
// API's REST-JSON calls (ExecuteStatement, BatchExecuteStatement and the
// transaction calls) as AWS does for Aurora PostgreSQL, running the SQL on a
// real PostgreSQL that a Backend logs into. The emulator the project tests
// against answers these calls with canned results; this package is what
// lets a test see its SQL actually run.
package localdataapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Backend gives the handler a logged-in session for a call: the front checks
// the cluster (exists, Data API enabled) and the secret (read from the
// emulator), and logs into the cluster's PostgreSQL as the secret's user.
type Backend interface {
	// Connect opens a connection for resourceARN as the user of secretARN, to
	// database ("" = the cluster's own). Errors: return *Error for what AWS
	// answers (ForbiddenException for a secret that does not open the
	// cluster, BadRequestException for an unknown cluster or one without the
	// HTTP endpoint, ...); any other error becomes a 500-class
	// InternalServerErrorException. The handler closes the connection when
	// the call (or the transaction) ends, or gives it back to a Backend
	// that is a Releaser.
	Connect(ctx context.Context, resourceARN, secretARN, database string) (*pgx.Conn, error)
}

// AWS's limits, the handler's defaults.
const (
	// DefaultStatementTimeout is how long a call may run before AWS answers
	// StatementTimeoutException.
	DefaultStatementTimeout = 45 * time.Second
	// DefaultResultSizeLimit is the 1 MB of database data a call may return.
	DefaultResultSizeLimit = 1 << 20
	// DefaultFormattedRecordsLimit is the 10 MB formattedRecords may hold.
	DefaultFormattedRecordsLimit = 10 << 20
	// DefaultTransactionIdleTimeout is how long a transaction may go unused
	// before AWS rolls it back.
	DefaultTransactionIdleTimeout = 3 * time.Minute
	// DefaultTransactionMaxAge is how long a transaction may live at all.
	DefaultTransactionMaxAge = 24 * time.Hour
)

const (
	pathExecute          = "/Execute"
	pathBatchExecute     = "/BatchExecute"
	pathBeginTransaction = "/BeginTransaction"
	pathCommit           = "/CommitTransaction"
	pathRollback         = "/RollbackTransaction"
	pathExecuteSQL       = "/ExecuteSql"
)

// Paths lists the URL paths the handler serves, so the front routes them
// (and the SigV4 service name "rds-data" as a second check).
func Paths() []string {
	return []string{pathExecute, pathBatchExecute, pathBeginTransaction, pathCommit, pathRollback, pathExecuteSQL}
}

// Handler serves the Data API's paths. Its limits are AWS's unless a test
// lowers them; set them before the first call.
type Handler struct {
	StatementTimeout       time.Duration
	ResultSizeLimit        int
	FormattedRecordsLimit  int
	TransactionIdleTimeout time.Duration
	TransactionMaxAge      time.Duration

	backend Backend

	mu           sync.Mutex
	transactions map[string]*transaction
	paused       map[string]int
	closed       bool
	running      sync.WaitGroup // statements still running after a call timed out
}

// NewHandler returns a Handler with AWS's limits that logs in through backend.
func NewHandler(backend Backend) *Handler {
	return &Handler{
		StatementTimeout:       DefaultStatementTimeout,
		ResultSizeLimit:        DefaultResultSizeLimit,
		FormattedRecordsLimit:  DefaultFormattedRecordsLimit,
		TransactionIdleTimeout: DefaultTransactionIdleTimeout,
		TransactionMaxAge:      DefaultTransactionMaxAge,
		backend:                backend,
		transactions:           map[string]*transaction{},
		paused:                 map[string]int{},
	}
}

// PauseNext makes the next n calls naming resourceARN answer
// DatabaseResumingException (AWS's message), as a paused Serverless v2
// cluster does while it resumes. Only the calls AWS's model lets answer it
// count: ExecuteStatement, BatchExecuteStatement and BeginTransaction.
func (h *Handler) PauseNext(resourceARN string, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.paused[resourceARN] = n
}

func (h *Handler) checkPaused(resourceARN string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.paused[resourceARN] <= 0 {
		return nil
	}
	h.paused[resourceARN]--
	return databaseResuming(resourceARN)
}

// Close rolls back open transactions and closes their connections, after
// the statements still running past a timeout. Call it once the HTTP server
// has stopped serving (http.Server.Shutdown, httptest.Server.Close); calls
// after it answer ServiceUnavailableError.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	open := h.transactions
	h.transactions = map[string]*transaction{}
	h.mu.Unlock()
	for _, tx := range open {
		tx.end("ROLLBACK")
	}
	h.running.Wait()
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", requestID())
	if r.Method != http.MethodPost {
		writeError(w, &Error{Name: "BadRequestException", Status: http.StatusMethodNotAllowed, Message: r.Method + " " + r.URL.Path + " is not a Data API call: the Data API takes POST"})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeError(w, badRequest("Could not read the request body: %v", err))
		return
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		writeError(w, &Error{Name: "ServiceUnavailableError", Status: http.StatusServiceUnavailable, Message: "The local Data API endpoint is shutting down"})
		return
	}
	h.expireTransactions()
	var answer any
	switch r.URL.Path {
	case pathExecute:
		var req executeStatementRequest
		if err = decode(body, &req); err == nil {
			answer, err = h.executeStatement(r.Context(), &req)
		}
	case pathBatchExecute:
		var req batchExecuteStatementRequest
		if err = decode(body, &req); err == nil {
			answer, err = h.batchExecuteStatement(r.Context(), &req)
		}
	case pathBeginTransaction:
		var req beginTransactionRequest
		if err = decode(body, &req); err == nil {
			answer, err = h.beginTransaction(r.Context(), &req)
		}
	case pathCommit, pathRollback:
		var req endTransactionRequest
		if err = decode(body, &req); err == nil {
			answer, err = h.endTransaction(&req, r.URL.Path == pathCommit)
		}
	case pathExecuteSQL:
		err = badRequest("ExecuteSql is deprecated and not supported for Aurora PostgreSQL Serverless v2: use ExecuteStatement or BatchExecuteStatement")
	default:
		err = &Error{Name: "UnknownOperationException", Status: http.StatusNotFound, Message: r.URL.Path + " is not a Data API path; the paths are those of localdataapi.Paths()"}
	}
	if err != nil {
		writeError(w, asAnswer(err))
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

func decode(body []byte, into any) error {
	if err := json.Unmarshal(body, into); err != nil {
		return badRequest("The request body is not a valid Data API request: %v", err)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		writeError(w, internalError(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client that hung up has nothing to be told
}

// writeError answers as AWS does: the exception's name in x-amzn-ErrorType,
// which aws-sdk-go-v2 and botocore both read first, and the message in the
// body.
func writeError(w http.ResponseWriter, e *Error) {
	body := map[string]any{"message": e.Message}
	if e.Name == "StatementTimeoutException" {
		body["dbConnectionId"] = e.DBConnectionID
	}
	encoded, _ := json.Marshal(body) // strings and an int always marshal
	w.Header().Set("x-amzn-ErrorType", e.Name)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_, _ = w.Write(encoded)
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

func requireRequest(resourceARN, secretARN string) error {
	var missing []string
	if resourceARN == "" {
		missing = append(missing, "resourceArn")
	}
	if secretARN == "" {
		missing = append(missing, "secretArn")
	}
	if len(missing) > 0 {
		return badRequest("The request lacks %v, which the Data API requires", missing)
	}
	return nil
}

// connect opens a connection through the backend. PostgreSQL's refusals
// (an unknown database) stay PostgreSQL errors, which AWS answers as
// DatabaseErrorException; anything else not already an answer is internal.
func (h *Handler) connect(ctx context.Context, resourceARN, secretARN, database string) (*pgx.Conn, error) {
	conn, err := h.backend.Connect(ctx, resourceARN, secretARN, database)
	if err != nil {
		var answer *Error
		var pgErr *pgconn.PgError
		if errors.As(err, &answer) || errors.As(err, &pgErr) {
			return nil, err
		}
		return nil, internalError(err)
	}
	return conn, nil
}
