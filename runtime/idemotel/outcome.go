package idemotel

import "github.com/idemgen/idemgen/runtime/idempotency"

// terminal reports whether ev is how its request ended, the one outcome
// of the request that idempotency.requests counts (see the package
// documentation).
func terminal(ev *idempotency.Event) bool {
	switch ev.Outcome {
	case idempotency.OutcomeReplayed, idempotency.OutcomeConflict,
		idempotency.OutcomeMismatch, idempotency.OutcomeKeyMissing,
		idempotency.OutcomeKeyInvalid, idempotency.OutcomeNoKey,
		idempotency.OutcomeBodyTooLarge, idempotency.OutcomeBodyUnreadable,
		idempotency.OutcomeCompleted, idempotency.OutcomeNotStored,
		idempotency.OutcomeAbandoned, idempotency.OutcomeFailOpen:
		return true
	case idempotency.OutcomeStoreError, idempotency.OutcomeOwnershipLost:
		// The lease renewer reports these with no status while the handler
		// runs; the request's own end always carries one (503, or the
		// status of the response that could not be stored).
		return ev.Status != 0
	}
	// Acquired, ExpiredTakeover and Renewed happen on the way; Evicted is
	// the store's, not a request's. An outcome added to the middleware
	// after this list is not counted until it is classified here
	// (TestEveryOutcomeClassified fails first).
	return false
}

// storeFailure reports an event that saw a store call fail.
func storeFailure(ev *idempotency.Event) bool {
	switch ev.Outcome {
	case idempotency.OutcomeStoreError, idempotency.OutcomeFailOpen:
		return true
	case idempotency.OutcomeNotStored, idempotency.OutcomeAbandoned:
		return ev.Err != nil // releasing the key failed
	}
	return false
}

// Status classes, as indexes into an operation's attribute cells.
const (
	classNone = iota // no status: the attribute is left out
	class1xx
	class2xx
	class3xx
	class4xx
	class5xx
	classOther
	numClasses
)

var classNames = [numClasses]string{"", "1xx", "2xx", "3xx", "4xx", "5xx", "_OTHER"}

func statusClass(status int) int {
	switch {
	case status == 0:
		return classNone
	case status >= 100 && status < 600:
		return status / 100
	}
	return classOther
}

// maxOutcomes bounds the outcome values the attribute cells have room for;
// the middleware has 18, and adds new ones at the end. Larger ones share
// the slot of 0, named "unknown" like any value Outcome.String does not know.
const maxOutcomes = 32

func outcomeSlot(o idempotency.Outcome) int {
	if int(o) >= maxOutcomes {
		return 0
	}
	return int(o)
}
