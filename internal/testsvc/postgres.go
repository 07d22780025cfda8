package testsvc

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

const postgresHint = "start it with .ci/services, or set IDEMGEN_POSTGRES_URL to a server of yours"

// PostgresURL is the PostgreSQL server the tests use: IDEMGEN_POSTGRES_URL,
// or the project machines' postgres://postgres@127.0.0.1:5432/test with
// TLS off. Its reachability is not checked; see [PostgresPool].
func PostgresURL() string {
	return envOr("IDEMGEN_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
}

// postgresWhat names the server for messages.
func postgresWhat() string {
	return "PostgreSQL at " + shown(PostgresURL()) + " (IDEMGEN_POSTGRES_URL) unreachable"
}

// PostgresConfig parses [PostgresURL] into a pool configuration, for a
// test to adjust before [PostgresPool]. A URL that does not parse fails
// the test.
func PostgresConfig(tb testing.TB) *pgxpool.Config {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(PostgresURL())
	if err != nil {
		tb.Fatalf("IDEMGEN_POSTGRES_URL=%s: %v", shown(PostgresURL()), err)
	}
	return cfg
}

// PostgresPool opens a pool with cfg (nil: [PostgresConfig] unchanged),
// checks that it answers, and closes it when the test ends. It skips the
// test (fails it under [CI]) when the server is unreachable.
func PostgresPool(tb testing.TB, cfg *pgxpool.Config) *pgxpool.Pool {
	tb.Helper()
	if cfg == nil {
		cfg = PostgresConfig(tb)
	}
	if err := reachPostgres(); err != nil {
		Unavailable(tb, postgresWhat(), err, postgresHint)
	}
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
		Unavailable(tb, postgresWhat(), err, postgresHint)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// PostgresConn opens one connection to [PostgresURL], closed when the test
// ends, for work beside a pool (such as cutting the pool's backends). It
// skips the test (fails it under [CI]) when the server is unreachable.
func PostgresConn(tb testing.TB) *pgx.Conn {
	tb.Helper()
	conn, err := connectPostgres()
	if err != nil {
		Unavailable(tb, postgresWhat(), err, postgresHint)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func connectPostgres() (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return pgx.Connect(ctx, PostgresURL())
}

func reachPostgres() error {
	return reach("postgres "+PostgresURL(), func() error {
		conn, err := connectPostgres()
		if err != nil {
			return err
		}
		return conn.Close(context.Background())
	})
}

// PostgresSchema creates a schema of the test's own in pool's database,
// named base and a random part, and drops it with everything in it when
// the test ends, so that runs and parallel tests never see each other's
// rows. The drop goes through a connection of its own, since the test may
// have closed or broken the pool by then; a failed drop fails the test.
func PostgresSchema(tb testing.TB, pool *pgxpool.Pool, base string) string {
	tb.Helper()
	name := base + "_" + strings.ToLower(rand.Text()[:12])
	ident := pgx.Identifier{name}.Sanitize()
	if _, err := pool.Exec(context.Background(), "CREATE SCHEMA "+ident); err != nil {
		tb.Fatalf("create schema %s: %v", name, err)
	}
	tb.Cleanup(func() {
		conn, err := connectPostgres()
		if err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+ident+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}
