package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/mysqlstore"
	"github.com/idemgen/idemgen/runtime/pgstore"
	"github.com/idemgen/idemgen/runtime/redisstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// opened is what the -store flag opened: the idempotency store, the book
// of payments beside it, and how to release them.
type opened struct {
	store idempotency.ClaimStore
	book  book
	close func()
}

// openStore opens the store the -store flag names:
//
//	memory                                  one process only (the default)
//	redis://127.0.0.1:6379/0                shared by every replica
//	postgres://postgres@127.0.0.1:5432/test shared, with the payments in a table
//	mysql://root@127.0.0.1:3306/test        the same on MariaDB 10.5+
func openStore(ctx context.Context, spec string) (opened, error) {
	mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch {
	case spec == "" || spec == "memory":
		return opened{idempotency.NewMemoryStore(idempotency.DefaultTTL), newMemBook(), func() {}}, nil

	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"):
		opts, err := redis.ParseURL(spec)
		if err != nil {
			return opened{}, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return opened{}, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		return opened{redisstore.New(client, redisstore.WithPrefix("payments")), newMemBook(), func() { client.Close() }}, nil

	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		pool, err := pgxpool.New(ctx, spec)
		if err != nil {
			return opened{}, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		store := pgstore.New(pool)
		if err := store.Migrate(mctx); err != nil {
			pool.Close()
			return opened{}, fmt.Errorf("-store %s: creating the table: %w", redacted(spec), err)
		}
		b, err := newPgBook(mctx, pool)
		if err != nil {
			pool.Close()
			return opened{}, fmt.Errorf("-store %s: creating the payments table: %w", redacted(spec), err)
		}
		return opened{store, b, pool.Close}, nil

	case strings.HasPrefix(spec, "mysql://"):
		dsn, err := mysqlDSN(spec)
		if err != nil {
			return opened{}, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return opened{}, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		store := mysqlstore.New(db)
		if err := store.Migrate(mctx); err != nil {
			db.Close()
			return opened{}, fmt.Errorf("-store %s: creating the table: %w", redacted(spec), err)
		}
		b, err := newMySQLBook(mctx, db)
		if err != nil {
			db.Close()
			return opened{}, fmt.Errorf("-store %s: creating the payments table: %w", redacted(spec), err)
		}
		return opened{store, b, func() { db.Close() }}, nil
	}
	return opened{}, fmt.Errorf("-store %q: want memory, redis://…, postgres://… or mysql://…", redacted(spec))
}

// mysqlDSN turns mysql://user:password@host:port/db into the driver's
// user:password@tcp(host:port)/db.
func mysqlDSN(spec string) (string, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return "", err
	}
	db := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || db == "" {
		return "", fmt.Errorf("want mysql://user@host:port/database")
	}
	cfg := mysql.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net, cfg.Addr, cfg.DBName = "tcp", u.Host, db
	return cfg.FormatDSN(), nil
}

// redacted is spec as errors may show it: a password in the URL is
// masked, and a URL that does not parse shows only its scheme.
func redacted(spec string) string {
	u, err := url.Parse(spec)
	if err != nil {
		scheme, _, _ := strings.Cut(spec, ":")
		return scheme + "://…"
	}
	return u.Redacted()
}
