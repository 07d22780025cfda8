package redisstore

import (
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// TestContract runs the shared ClaimStore suite against the real server at
// IDEMGEN_REDIS_URL, each check under a prefix of its own.
func TestContract(t *testing.T) {
	testClient(t) // skip (or fail under CI) once, not in every check
	storetest.Run(t, func(t *testing.T) idempotency.ClaimStore {
		s, _ := newTestStore(t)
		return s
	})
}

// TestSeedContract runs the seed Store suite against the same server.
func TestSeedContract(t *testing.T) {
	testClient(t)
	storetest.RunSeed(t, func(t *testing.T) idempotency.Store {
		s, _ := newTestStore(t)
		return s
	})
}
