package pgstore

import (
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// The contract suites share one pool; every subtest gets a schema of its own.

// suiteOptions keeps the suite's full 1,000 race rounds except in -short mode.
func suiteOptions() storetest.Options {
	if testing.Short() {
		return storetest.Options{Rounds: 100}
	}
	return storetest.Options{}
}

func TestClaimStoreContract(t *testing.T) {
	pool := newPool(t, poolConfig(t))
	storetest.RunWith(t, suiteOptions(), func(t *testing.T) idempotency.ClaimStore {
		return newStoreOn(t, pool)
	})
}

func TestSeedStoreContract(t *testing.T) {
	pool := newPool(t, poolConfig(t))
	storetest.RunSeedWith(t, suiteOptions(), func(t *testing.T) idempotency.Store {
		return newStoreOn(t, pool)
	})
}
