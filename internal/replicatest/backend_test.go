package replicatest

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/pgstore"
	"github.com/idemgen/idemgen/runtime/redisstore"
)

// backend is a shared store the replicas use: its URL, a namespace of the
// test's own (Redis key prefix or PostgreSQL schema), and a handle on the
// same store for the test itself.
type backend struct {
	url       string
	namespace string
	store     idempotency.ClaimStore
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// unreachable skips the test, or fails it when CI is set.
func unreachable(t *testing.T, env, url string, err error) {
	t.Helper()
	msg := env + "=" + url + " unreachable: " + err.Error()
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg + " (set " + env + " to run this test)")
}

func redisBackend(t *testing.T) *backend {
	url := envOr("IDEMGEN_REDIS_URL", "redis://127.0.0.1:6379/0")
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("IDEMGEN_REDIS_URL=%q: %v", url, err)
	}
	client := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		unreachable(t, "IDEMGEN_REDIS_URL", url, err)
	}
	prefix := "replicatest-" + rand.Text()[:10]
	t.Cleanup(func() {
		defer client.Close()
		ctx := context.Background()
		iter := client.Scan(ctx, 0, prefix+":*", 500).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
	})
	return &backend{url: url, namespace: prefix, store: redisstore.New(client, redisstore.WithPrefix(prefix))}
}

func postgresBackend(t *testing.T) *backend {
	url := envOr("IDEMGEN_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatalf("IDEMGEN_POSTGRES_URL=%q: %v", url, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		unreachable(t, "IDEMGEN_POSTGRES_URL", url, err)
	}
	schema := "replicatest_" + strings.ToLower(rand.Text()[:10])
	s := pgstore.New(pool, pgstore.WithSchema(schema))
	t.Cleanup(func() {
		defer pool.Close()
		if _, err := pool.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Logf("dropping schema %s: %v", schema, err)
		}
	})
	// Migrate before the replicas start, as a deployment would.
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return &backend{url: url, namespace: schema, store: s}
}
