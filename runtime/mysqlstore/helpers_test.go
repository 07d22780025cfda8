package mysqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/idemgen/idemgen/internal/testsvc"
)

const mariaDBHint = "start it with `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, " +
	"or set IDEMGEN_MARIADB_DSN to a server of yours"

// dbConfig is the shared test server's configuration (IDEMGEN_MARIADB_DSN,
// through testsvc); tests adjust the result before newDB. The test skips,
// or fails under CI, when the server does not answer.
func dbConfig(t testing.TB) *mysql.Config {
	t.Helper()
	_, dsn := testsvc.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("IDEMGEN_MARIADB_DSN: %v", err)
	}
	return cfg
}

// newDB opens a pool with cfg, closed when the test ends.
func newDB(t testing.TB, cfg *mysql.Config) *sql.DB {
	t.Helper()
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	// The race suites run 64 claimers at once on two cores; a dozen
	// connections keep the server busy without thrashing it.
	db.SetMaxOpenConns(12)
	db.SetMaxIdleConns(12)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		testsvc.Unavailable(t, "MariaDB at "+cfg.Addr+" (IDEMGEN_MARIADB_DSN) refuses the tests' login", err, mariaDBHint)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newStore returns a migrated store on a table of its own, with its pool.
func newStore(t testing.TB, opts ...Option) (*Store, *sql.DB) {
	t.Helper()
	db := newDB(t, dbConfig(t))
	return newStoreOn(t, db, opts...), db
}

// newStoreOn returns a migrated store on db, in a table of the test's own
// that is dropped when the test ends.
func newStoreOn(t testing.TB, db *sql.DB, opts ...Option) *Store {
	t.Helper()
	table := "mysqlstore_test_" + strings.ToLower(rand.Text()[:12])
	s := New(db, append([]Option{WithTable(table)}, opts...)...)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		_, _ = db.Exec("DROP TABLE IF EXISTS " + s.Table())
	})
	return s
}
