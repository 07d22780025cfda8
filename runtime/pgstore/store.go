package pgstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DefaultTable is the table name used without [WithTable].
const DefaultTable = "idempotency_keys"

// Store keeps idempotency records in one PostgreSQL table shared by every
// replica. It implements [idempotency.ClaimStore] and the seed
// [idempotency.Store]. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	ttl  time.Duration

	schema, table string
	// ident is the quoted, optionally schema-qualified table name.
	ident string
	// err is a configuration error, reported by every method that can
	// return one, so that New itself never fails.
	err error
	q   queries
	// maxRow bounds a record's row (maxRowBytes; tests lower it).
	maxRow int
}

// Option configures a [Store].
type Option func(*Store)

// WithTable sets the table name (default "idempotency_keys").
func WithTable(name string) Option {
	return func(s *Store) {
		if name == "" {
			s.setErr(errors.New("pgstore: WithTable: empty table name"))
			return
		}
		s.table = name
	}
}

// WithSchema puts the table in the named schema, which Migrate creates if
// needed. Without it the table lives in the first schema of the
// connection's search_path.
func WithSchema(name string) Option {
	return func(s *Store) {
		if name == "" {
			s.setErr(errors.New("pgstore: WithSchema: empty schema name"))
			return
		}
		s.schema = name
	}
}

// WithTTL sets how long a record is kept when the middleware sets no
// expiry of its own (default idempotency.DefaultTTL).
func WithTTL(d time.Duration) Option {
	return func(s *Store) {
		if d <= 0 {
			s.setErr(fmt.Errorf("pgstore: WithTTL: TTL must be positive, got %v", d))
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

// New returns a store on pool. Call [Store.Migrate] once at start-up (or
// apply schema.sql by other means) before using it. Invalid options are
// reported by Migrate and by every call that returns an error.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool, ttl: idempotency.DefaultTTL, table: DefaultTable, maxRow: maxRowBytes}
	if pool == nil {
		s.setErr(errors.New("pgstore: New: nil pool"))
	}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	if s.schema != "" {
		s.ident = pgx.Identifier{s.schema, s.table}.Sanitize()
	} else {
		s.ident = pgx.Identifier{s.table}.Sanitize()
	}
	s.q = buildQueries(s.ident)
	return s
}

// TTL is how long a record is kept when the middleware sets no expiry.
func (s *Store) TTL() time.Duration { return s.ttl }

// Table returns the quoted, optionally schema-qualified table name, for
// users who want to inspect or grant on it.
func (s *Store) Table() string { return s.ident }

var (
	_ idempotency.ClaimStore = (*Store)(nil)
	_ idempotency.TxStore    = (*Store)(nil)
	_ idempotency.Store      = (*Store)(nil)
)
