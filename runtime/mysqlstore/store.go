package mysqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// DefaultTable is the table name used without [WithTable].
const DefaultTable = "idempotency_keys"

// MaxKeyBytes is the longest key the store accepts. The middleware's keys
// are 32-byte hashes; the bound keeps the primary key within InnoDB's
// 767-byte index limit whatever the table's row format.
const MaxKeyBytes = 512

// Store keeps idempotency records in one MariaDB table shared by every
// replica. It implements [idempotency.ClaimStore], [idempotency.TxStore]
// and the seed [idempotency.Store]. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	ttl time.Duration

	database, table string
	// ident is the quoted, optionally database-qualified table name.
	ident string
	// err is a configuration error, reported by every method that can
	// return one, so that New itself never fails.
	err error
	q   queries

	// stmts holds each statement prepared once on the pool; database/sql
	// prepares it again on every connection that runs it, so that a
	// request costs one execution, not a prepare, an execution and a close.
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
	// maxPacket is the server's max_allowed_packet, read once; see fits.
	maxPacket int64
}

// Option configures a [Store].
type Option func(*Store)

// WithTable sets the table name (default "idempotency_keys").
func WithTable(name string) Option {
	return func(s *Store) {
		if name == "" {
			s.setErr(errors.New("mysqlstore: WithTable: empty table name"))
			return
		}
		s.table = name
	}
}

// WithDatabase puts the table in the named database (which must exist)
// instead of the connection's default database.
func WithDatabase(name string) Option {
	return func(s *Store) {
		if name == "" {
			s.setErr(errors.New("mysqlstore: WithDatabase: empty database name"))
			return
		}
		s.database = name
	}
}

// WithTTL sets how long a record is kept when the middleware sets no
// expiry of its own (default idempotency.DefaultTTL).
func WithTTL(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.setErr(fmt.Errorf("mysqlstore: WithTTL: TTL must be positive, got %v", d))
			return
		}
		s.ttl = d
	}
}

func (s *Store) setErr(err error) {
	if s.err == nil {
		s.err = err
	}
}

// New returns a store on db, a pool opened with the
// github.com/go-sql-driver/mysql driver. Call [Store.Migrate] once at
// start-up (or apply [Store.Schema] by other means) before using it.
// Invalid options are reported by Migrate and by every call that returns
// an error.
func New(db *sql.DB, opts ...Option) *Store {
	s := &Store{db: db, ttl: idempotency.DefaultTTL, table: DefaultTable, stmts: map[string]*sql.Stmt{}}
	if db == nil {
		s.setErr(errors.New("mysqlstore: New: nil db"))
	}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	s.ident = quoteIdent(s.table)
	if s.database != "" {
		s.ident = quoteIdent(s.database) + "." + s.ident
	}
	s.q = buildQueries(s.ident)
	return s
}

// quoteIdent quotes a MariaDB identifier: backticks, with any backtick
// inside doubled.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// TTL is how long a record is kept when the middleware sets no expiry.
func (s *Store) TTL() time.Duration { return s.ttl }

// Table returns the quoted, optionally database-qualified table name, for
// users who want to inspect or grant on it.
func (s *Store) Table() string { return s.ident }

// Close releases the store's prepared statements; the pool stays open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	for q, st := range s.stmts {
		errs = append(errs, st.Close())
		delete(s.stmts, q)
	}
	return errors.Join(errs...)
}

var (
	_ idempotency.ClaimStore = (*Store)(nil)
	_ idempotency.Store      = (*Store)(nil)
)
