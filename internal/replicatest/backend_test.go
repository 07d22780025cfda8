package replicatest

import (
	"context"
	"testing"

	"github.com/idemgen/idemgen/internal/testsvc"
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

// redisBackend is the shared Redis server (IDEMGEN_REDIS_URL) under a key
// prefix of the test's own.
func redisBackend(t *testing.T) *backend {
	client := testsvc.Redis(t)
	prefix := testsvc.RedisPrefix(t, client, "replicatest")
	return &backend{url: testsvc.RedisURL(), namespace: prefix, store: redisstore.New(client, redisstore.WithPrefix(prefix))}
}

// postgresBackend is the shared PostgreSQL server (IDEMGEN_POSTGRES_URL)
// in a schema of the test's own, migrated.
func postgresBackend(t *testing.T) *backend {
	pool := testsvc.PostgresPool(t, nil)
	schema := testsvc.PostgresSchema(t, pool, "replicatest")
	s := pgstore.New(pool, pgstore.WithSchema(schema))
	// Migrate before the replicas start, as a deployment would.
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &backend{url: testsvc.PostgresURL(), namespace: schema, store: s}
}
