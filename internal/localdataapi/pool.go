package localdataapi

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Releaser is a Backend that keeps connections between calls, as Pool does.
// When a call outside a transaction ends, the handler gives its connection
// back through Release instead of closing it; reusable is false when the
// connection must not serve another call (a statement was cut off by the
// timeout).
type Releaser interface {
	Release(conn *pgx.Conn, reusable bool)
}

// PoolKey is everything a login proves. A Backend reads the secret on every
// call and asks the Pool under the secret's current user and password, so a
// rotated secret is a new key: the next call logs in afresh, and fails if
// the new password does not open the cluster.
type PoolKey struct {
	ResourceARN string
	User        string
	Password    string
	Database    string
}

// Pool keeps a few idle logged-in connections per PoolKey for a Backend to
// reuse: a fresh login (a PostgreSQL backend process and a SCRAM exchange)
// is most of a call's round trip.
type Pool struct {
	maxIdle int

	mu     sync.Mutex
	idle   map[PoolKey][]*pgx.Conn
	keys   map[*pgx.Conn]PoolKey
	closed bool
}

// NewPool keeps up to maxIdlePerKey idle connections for each key.
func NewPool(maxIdlePerKey int) *Pool {
	return &Pool{maxIdle: maxIdlePerKey, idle: map[PoolKey][]*pgx.Conn{}, keys: map[*pgx.Conn]PoolKey{}}
}

// Connect gives an idle connection of key that still answers, or logs in
// anew with login.
func (p *Pool) Connect(ctx context.Context, key PoolKey, login func(ctx context.Context) (*pgx.Conn, error)) (*pgx.Conn, error) {
	for {
		conn := p.takeIdle(key)
		if conn == nil {
			break
		}
		if err := conn.Ping(ctx); err == nil {
			return conn, nil
		}
		p.forget(conn)
		closeQuietly(conn)
	}
	conn, err := login(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.keys[conn] = key
	p.mu.Unlock()
	return conn, nil
}

func (p *Pool) takeIdle(key PoolKey) *pgx.Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	conns := p.idle[key]
	if len(conns) == 0 {
		return nil
	}
	conn := conns[len(conns)-1]
	p.idle[key] = conns[:len(conns)-1]
	return conn
}

func (p *Pool) forget(conn *pgx.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.keys, conn)
}

// Release keeps conn for its key's next call, unless it is not reusable,
// is left inside a transaction block (a BEGIN sent as a statement), or the
// key already has enough idle connections.
func (p *Pool) Release(conn *pgx.Conn, reusable bool) {
	p.mu.Lock()
	key, known := p.keys[conn]
	keep := known && reusable && !p.closed && !conn.IsClosed() &&
		conn.PgConn().TxStatus() == 'I' && len(p.idle[key]) < p.maxIdle
	if keep {
		p.idle[key] = append(p.idle[key], conn)
	} else {
		delete(p.keys, conn)
	}
	p.mu.Unlock()
	if !keep {
		closeQuietly(conn)
	}
}

// Close closes the idle connections; those still in use close on Release.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	idle := p.idle
	p.idle = map[PoolKey][]*pgx.Conn{}
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, conns := range idle {
		for _, conn := range conns {
			_ = conn.Close(ctx) // closing is all that is left to do
		}
	}
}
