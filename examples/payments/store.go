package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/pgstore"
	"github.com/idemgen/idemgen/runtime/redisstore"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// openStore returns the store the -store flag names, and a function that
// releases it:
//
//	memory                                  one process only (the default)
//	redis://127.0.0.1:6379/0                shared by every replica
//	postgres://postgres@127.0.0.1:5432/test shared by every replica
func openStore(ctx context.Context, spec string) (idempotency.ClaimStore, func(), error) {
	switch {
	case spec == "" || spec == "memory":
		return idempotency.NewMemoryStore(idempotency.DefaultTTL), func() {}, nil

	case strings.HasPrefix(spec, "redis://"), strings.HasPrefix(spec, "rediss://"):
		opts, err := redis.ParseURL(spec)
		if err != nil {
			return nil, nil, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			client.Close()
			return nil, nil, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		return redisstore.New(client, redisstore.WithPrefix("payments")), func() { client.Close() }, nil

	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		pool, err := pgxpool.New(ctx, spec)
		if err != nil {
			return nil, nil, fmt.Errorf("-store %s: %w", redacted(spec), err)
		}
		store := pgstore.New(pool)
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := store.Migrate(mctx); err != nil {
			pool.Close()
			return nil, nil, fmt.Errorf("-store %s: creating the table: %w", redacted(spec), err)
		}
		return store, pool.Close, nil
	}
	return nil, nil, fmt.Errorf("-store %q: want memory, redis://… or postgres://…", redacted(spec))
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
