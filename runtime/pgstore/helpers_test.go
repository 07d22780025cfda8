package pgstore

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const defaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func serverURL() string {
	if u := os.Getenv("IDEMGEN_POSTGRES_URL"); u != "" {
		return u
	}
	return defaultURL
}

// shownURL is the server URL with any password masked, for messages.
func shownURL() string {
	u, err := url.Parse(serverURL())
	if err != nil || u.Scheme == "" {
		return "(set, not a URL)"
	}
	return u.Redacted()
}

// unreachable skips the test, or fails it under CI, where the server must run.
func unreachable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("PostgreSQL at IDEMGEN_POSTGRES_URL (%s) unreachable and CI is set: %v", shownURL(), err)
	}
	t.Skipf("PostgreSQL not reachable at IDEMGEN_POSTGRES_URL (%s): %v", shownURL(), err)
}

// poolConfig parses the server URL; tests adjust the result before newPool.
func poolConfig(t testing.TB) *pgxpool.Config {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(serverURL())
	if err != nil {
		t.Fatalf("IDEMGEN_POSTGRES_URL: %v", err)
	}
	// The race suites run 64 claimers at once on two cores; a dozen
	// connections keep the server busy without thrashing it.
	cfg.MaxConns = 12
	return cfg
}

func newPool(t testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		unreachable(t, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// testSchema creates a schema of the test's own and drops it afterwards, so
// runs (and parallel tests) never see each other's rows.
func testSchema(t testing.TB, pool *pgxpool.Pool) string {
	t.Helper()
	name := "pgstore_test_" + strings.ToLower(rand.Text()[:12])
	ctx := context.Background()
	if _, err := pool.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The test's pool may be closed or broken by now; drop through a
		// connection of our own.
		conn, err := pgx.Connect(ctx, serverURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// newStore returns a migrated store in a fresh schema, with its pool.
func newStore(t testing.TB, opts ...Option) (*Store, *pgxpool.Pool) {
	t.Helper()
	pool := newPool(t, poolConfig(t))
	return newStoreOn(t, pool, opts...), pool
}

func newStoreOn(t testing.TB, pool *pgxpool.Pool, opts ...Option) *Store {
	t.Helper()
	s := New(pool, append([]Option{WithSchema(testSchema(t, pool))}, opts...)...)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
