package main

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// faultDB is a database the fault tests run the replicas on, with the
// test's own view of its payments table.
type faultDB struct {
	name string
	addr string // the server's host:port, for a proxy in front of it
	// storeURL is the -store flag for the server reached at addr.
	storeURL func(addr string) string
	// rows reads the payments whose key starts with prefix, by key.
	rows func(ctx context.Context, prefix string) (map[string][]paymentRow, error)
	// exec runs query with its %s replaced by the driver's placeholder,
	// bound to the LIKE pattern of prefix.
	exec func(ctx context.Context, query, prefix string) error
}

// paymentRow is one row of the payments table.
type paymentRow struct {
	id    string
	fence int64
}

// eachDB runs test on PostgreSQL and on MariaDB, each skipped (failed
// under CI) when its server is not there.
func eachDB(t *testing.T, test func(t *testing.T, db *faultDB)) {
	t.Run("postgres", func(t *testing.T) { test(t, postgresFaultDB(t)) })
	t.Run("mariadb", func(t *testing.T) { test(t, mariaFaultDB(t)) })
}

func postgresFaultDB(t *testing.T) *faultDB {
	pool := testsvc.PostgresPool(t, nil)
	u, err := url.Parse(testsvc.PostgresURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// A crash round holds a transaction per request at its barrier, and
	// each request renews its lease besides: pgx's default of four
	// connections would leave the batch waiting for one.
	q.Set("pool_max_conns", "16")
	u.RawQuery = q.Encode()
	return &faultDB{
		name: "postgres",
		addr: withPort(u.Host, "5432"),
		storeURL: func(addr string) string {
			v := *u
			v.Host = addr
			return v.String()
		},
		rows: func(ctx context.Context, prefix string) (map[string][]paymentRow, error) {
			rows, err := pool.Query(ctx, `SELECT idempotency_key, id::text, fence FROM payments WHERE idempotency_key LIKE $1`, prefix+"%")
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			got, err := collect(rows.Next, rows.Scan)
			if err == nil {
				err = rows.Err()
			}
			return got, err
		},
		exec: func(ctx context.Context, query, prefix string) error {
			_, err := pool.Exec(ctx, fmt.Sprintf(query, "$1"), prefix+"%")
			return err
		},
	}
}

func mariaFaultDB(t *testing.T) *faultDB {
	addr, dsn := testsvc.MariaDB(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		// The server answered testsvc's greeting: this is a login or
		// database that does not work, a mistake to fix.
		t.Fatalf("MariaDB at %s (IDEMGEN_MARIADB_DSN): %v", addr, err)
	}
	base, err := url.Parse(mariaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	return &faultDB{
		name: "mariadb",
		addr: addr,
		storeURL: func(addr string) string {
			v := *base
			v.Host = addr
			return v.String()
		},
		rows: func(ctx context.Context, prefix string) (map[string][]paymentRow, error) {
			rows, err := db.QueryContext(ctx, `SELECT idempotency_key, id, fence FROM payments WHERE idempotency_key LIKE ?`, prefix+"%")
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			got, err := collect(rows.Next, rows.Scan)
			if err == nil {
				err = rows.Err()
			}
			return got, err
		},
		exec: func(ctx context.Context, query, prefix string) error {
			return execReadCommitted(ctx, db, fmt.Sprintf(query, "?"), prefix+"%")
		},
	}
}

// collect groups rows of (key, id, fence) by key; next and scan are
// those of pgx.Rows or *sql.Rows.
func collect(next func() bool, scan func(...any) error) (map[string][]paymentRow, error) {
	got := map[string][]paymentRow{}
	for next() {
		var key string
		var r paymentRow
		if err := scan(&key, &r.id, &r.fence); err != nil {
			return nil, err
		}
		got[key] = append(got[key], r)
	}
	return got, nil
}

// payments are the rows of keys under prefix.
func (db *faultDB) payments(t *testing.T, prefix string) map[string][]paymentRow {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rows, err := db.rows(ctx, prefix)
	if err != nil {
		t.Fatalf("reading the payments of %s*: %v", prefix, err)
	}
	return rows
}

// keyPrefix is a prefix of keys no other test or run uses: the payments
// table is shared. A test that passes deletes its rows; a failed one
// leaves them to look at, and says under which prefix.
func (db *faultDB) keyPrefix(t *testing.T, scenario string) string {
	prefix := fmt.Sprintf("fault-%s-%s-%x-", db.name, scenario, time.Now().UnixNano())
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the payments of this test are the rows WHERE idempotency_key LIKE '%s%%'", prefix)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := db.exec(ctx, `DELETE FROM payments WHERE idempotency_key LIKE %s`, prefix); err != nil {
			t.Errorf("deleting the test's payments: %v", err)
		}
	})
	return prefix
}

// withPort is host with port added if it names none.
func withPort(host, port string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(host, port)
}

// execReadCommitted runs query in a READ COMMITTED transaction. The
// payments table has no index on idempotency_key, so under MariaDB's
// default REPEATABLE READ a DELETE by key locks every row and gap it
// scans: it would wait for a row that another test's paused replica
// holds uncommitted, and block every insert meanwhile, including the one
// that test waits for before it resumes the replica. READ COMMITTED
// takes no gap locks and skips rows other transactions have not
// committed.
func execReadCommitted(ctx context.Context, db *sql.DB, query string, args ...any) error {
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
