package main

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/idemgen/idemgen/internal/testsvc"
)

// testStore is a -store the example runs on, with the test's own view of
// the payments it keeps.
type testStore struct {
	name string
	spec string // the -store flag
	// rows returns the payments table's rows of keys, as key → payment
	// ids, and deletes them once the test has passed; nil for memory,
	// which has no table to read.
	rows func(t *testing.T, keys []string) map[string][]string
}

// eachStore runs test on memory, PostgreSQL and MariaDB, in parallel; a
// database that is not there skips its part (fails it under CI).
func eachStore(t *testing.T, test func(t *testing.T, st testStore)) {
	for name, open := range map[string]func(*testing.T) testStore{
		"memory": memoryStore, "postgres": postgresStore, "mariadb": mariaStore,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

func memoryStore(*testing.T) testStore { return testStore{name: "memory", spec: "memory"} }

func postgresStore(t *testing.T) testStore {
	pool := testsvc.PostgresPool(t, nil)
	return testStore{
		name: "postgres",
		spec: testsvc.PostgresURL(),
		rows: func(t *testing.T, keys []string) map[string][]string {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			rows, err := pool.Query(ctx, `SELECT idempotency_key, id::text FROM payments WHERE idempotency_key = ANY($1)`, keys)
			if err != nil {
				t.Fatalf("reading the payments: %v", err)
			}
			got, err := byKey(rows.Next, rows.Scan)
			if err == nil {
				err = rows.Err()
			}
			rows.Close()
			if err != nil {
				t.Fatalf("reading the payments: %v", err)
			}
			afterPass(t, func(ctx context.Context) error {
				_, err := pool.Exec(ctx, `DELETE FROM payments WHERE idempotency_key = ANY($1)`, keys)
				return err
			})
			return got
		},
	}
}

func mariaStore(t *testing.T) testStore {
	addr, dsn := testsvc.MariaDB(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		// The server answered testsvc's greeting: a login or database
		// that does not work is a mistake to fix, not a skip.
		t.Fatalf("MariaDB at %s (IDEMGEN_MARIADB_DSN): %v", addr, err)
	}
	spec := url.URL{Scheme: "mysql", Host: addr, Path: "/" + cfg.DBName, User: url.User(cfg.User)}
	if cfg.Passwd != "" {
		spec.User = url.UserPassword(cfg.User, cfg.Passwd)
	}
	// keys as the placeholders and arguments of an IN list.
	in := func(keys []string) (string, []any) {
		args := make([]any, len(keys))
		for i, k := range keys {
			args[i] = k
		}
		return strings.TrimSuffix(strings.Repeat("?,", len(keys)), ","), args
	}
	return testStore{
		name: "mariadb",
		spec: spec.String(),
		rows: func(t *testing.T, keys []string) map[string][]string {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			marks, args := in(keys)
			rows, err := db.QueryContext(ctx, `SELECT idempotency_key, id FROM payments WHERE idempotency_key IN (`+marks+`)`, args...)
			if err != nil {
				t.Fatalf("reading the payments: %v", err)
			}
			got, err := byKey(rows.Next, rows.Scan)
			if err == nil {
				err = rows.Err()
			}
			rows.Close()
			if err != nil {
				t.Fatalf("reading the payments: %v", err)
			}
			afterPass(t, func(ctx context.Context) error {
				// READ COMMITTED: under REPEATABLE READ this DELETE, which
				// no index serves, would lock every row and gap it scans,
				// waiting on other tests' uncommitted payments and
				// blocking their inserts (see the fault tests).
				tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM payments WHERE idempotency_key IN (`+marks+`)`, args...); err != nil {
					tx.Rollback()
					return err
				}
				return tx.Commit()
			})
			return got
		},
	}
}

// byKey groups rows of (key, id); next and scan are those of pgx.Rows or
// *sql.Rows.
func byKey(next func() bool, scan func(...any) error) (map[string][]string, error) {
	got := map[string][]string{}
	for next() {
		var key, id string
		if err := scan(&key, &id); err != nil {
			return nil, err
		}
		got[key] = append(got[key], id)
	}
	return got, nil
}

// afterPass deletes the test's rows when it passes: the payments table is
// shared with every other test and run. A failed test leaves them to look
// at.
func afterPass(t *testing.T, del func(ctx context.Context) error) {
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := del(ctx); err != nil {
			t.Errorf("deleting the test's payments: %v", err)
		}
	})
}
