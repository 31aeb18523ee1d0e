package localdataapi

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// transaction is a BeginTransaction's connection, held between calls.
type transaction struct {
	id          string
	resourceARN string
	conn        *pgx.Conn
	release     func(reusable bool)
	began       time.Time

	// Guarded by the handler's mu.
	lastUsed time.Time
	inUse    int

	mu    sync.Mutex // one statement at a time on conn
	ended bool       // guarded by mu
}

// newTransactionID makes an opaque id shaped like AWS's: base64 text.
func newTransactionID() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(b)
}

func (h *Handler) beginTransaction(ctx context.Context, req *beginTransactionRequest) (any, error) {
	if err := requireRequest(req.ResourceArn, req.SecretArn); err != nil {
		return nil, err
	}
	if err := h.checkPaused(req.ResourceArn); err != nil {
		return nil, err
	}
	conn, err := h.connect(ctx, req.ResourceArn, req.SecretArn, req.Database)
	if err != nil {
		return nil, err
	}
	release := h.giveBack(conn)
	if err := execSimple(ctx, conn, "BEGIN"); err != nil {
		release(false)
		return nil, err
	}
	now := time.Now()
	tx := &transaction{id: newTransactionID(), resourceARN: req.ResourceArn, conn: conn, release: release, began: now, lastUsed: now}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		go release(false)
		return nil, &Error{Name: "ServiceUnavailableError", Status: 503, Message: "The local Data API endpoint is shutting down"}
	}
	h.transactions[tx.id] = tx
	return map[string]string{"transactionId": tx.id}, nil
}

// takeTransaction gives a call the transaction's connection, waiting for a
// statement still running on it. A transaction named with another cluster
// is not found, as it would not be on AWS.
func (h *Handler) takeTransaction(id, resourceARN string) (*transaction, error) {
	h.mu.Lock()
	tx, ok := h.transactions[id]
	if !ok || tx.resourceARN != resourceARN {
		h.mu.Unlock()
		return nil, transactionNotFound(id)
	}
	tx.inUse++
	h.mu.Unlock()
	tx.mu.Lock()
	if tx.ended {
		tx.mu.Unlock()
		h.mu.Lock()
		tx.inUse--
		h.mu.Unlock()
		return nil, transactionNotFound(id)
	}
	return tx, nil
}

func (h *Handler) returnTransaction(tx *transaction) {
	tx.mu.Unlock()
	h.mu.Lock()
	tx.inUse--
	tx.lastUsed = time.Now()
	h.mu.Unlock()
}

// endTransaction commits or rolls back, answering with AWS's statuses.
func (h *Handler) endTransaction(req *endTransactionRequest, commit bool) (any, error) {
	if err := requireRequest(req.ResourceArn, req.SecretArn); err != nil {
		return nil, err
	}
	h.mu.Lock()
	tx, ok := h.transactions[req.TransactionID]
	if !ok || tx.resourceARN != req.ResourceArn {
		h.mu.Unlock()
		return nil, transactionNotFound(req.TransactionID)
	}
	delete(h.transactions, req.TransactionID)
	h.mu.Unlock()
	if !commit {
		if err := tx.end("ROLLBACK"); err != nil {
			return nil, err
		}
		return map[string]string{"transactionStatus": "Rollback Complete"}, nil
	}
	if err := tx.end("COMMIT"); err != nil {
		return nil, err
	}
	return map[string]string{"transactionStatus": "Transaction Committed"}, nil
}

// end finishes the transaction with sql and closes its connection, after
// any statement still running on it.
func (tx *transaction) end(sql string) error {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	if tx.ended {
		return transactionNotFound(tx.id)
	}
	tx.ended = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := execSimple(ctx, tx.conn, sql)
	tx.release(err == nil)
	return err
}

// expireTransactions rolls back the transactions AWS would have: unused for
// TransactionIdleTimeout, or older than TransactionMaxAge. It runs at the
// start of every call rather than on a timer, so an expired transaction
// holds its connection until the next call to the handler.
func (h *Handler) expireTransactions() {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, tx := range h.transactions {
		if tx.inUse > 0 {
			continue
		}
		if now.Sub(tx.lastUsed) > h.TransactionIdleTimeout || now.Sub(tx.began) > h.TransactionMaxAge {
			delete(h.transactions, id)
			h.running.Add(1)
			go func() {
				defer h.running.Done()
				_ = tx.end("ROLLBACK") // nobody is left to tell
			}()
		}
	}
}
