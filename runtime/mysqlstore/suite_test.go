package mysqlstore

import (
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// The contract suites share one pool; every subtest gets a table of its own.

// suiteOptions keeps the suite's full 1,000 race rounds except in -short mode.
func suiteOptions() storetest.Options {
	if testing.Short() {
		return storetest.Options{Rounds: 100}
	}
	return storetest.Options{}
}

func TestClaimStoreContract(t *testing.T) {
	db := newDB(t, dbConfig(t))
	storetest.RunWith(t, suiteOptions(), func(t *testing.T) idempotency.ClaimStore {
		return newStoreOn(t, db)
	})
}

func TestSeedStoreContract(t *testing.T) {
	db := newDB(t, dbConfig(t))
	storetest.RunSeedWith(t, suiteOptions(), func(t *testing.T) idempotency.Store {
		return newStoreOn(t, db)
	})
}
