package pgstore

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// poolConfig is the shared test server's configuration (IDEMGEN_POSTGRES_URL);
// tests adjust the result before newPool.
func poolConfig(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg := testsvc.PostgresConfig(t)
	// The race suites run 64 claimers at once on two cores; a dozen
	// connections keep the server busy without thrashing it.
	cfg.MaxConns = 12
	return cfg
}

// newPool opens a pool with cfg, closed when the test ends; the test
// skips, or fails under CI, when the server is unreachable.
func newPool(t testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	t.Helper()
	return testsvc.PostgresPool(t, cfg)
}

// newStore returns a migrated store in a fresh schema, with its pool.
func newStore(t testing.TB, opts ...Option) (*Store, *pgxpool.Pool) {
	t.Helper()
	pool := newPool(t, poolConfig(t))
	return newStoreOn(t, pool, opts...), pool
}

// newStoreOn returns a migrated store on pool, in a schema of the test's
// own that is dropped when the test ends.
func newStoreOn(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Store {
	t.Helper()
	schema := testsvc.PostgresSchema(t, pool, "pgstore_test")
	s := New(pool, append([]Option{WithSchema(schema)}, opts...)...)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
