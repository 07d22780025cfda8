package idemprom

import "github.com/idemgen/idemgen/runtime/idempotency"

// numOutcomes sizes the per-outcome arrays: one past the last outcome.
// The runtime and this package are one module, so an outcome added there
// is classified here in the same change (TestEveryOutcomeClassified fails
// until it is).
const numOutcomes = int(idempotency.OutcomeRenewed) + 1

// terminal reports the outcomes that end a request: exactly one of them is
// reported per guarded request, so idempotency_requests_total counts
// requests. The others are steps of a request that runs (acquired,
// expired_takeover, renewed), or come from a store (evicted).
//
// StoreError and OwnershipLost are both: the renewer reports them while
// the handler runs (a failed or refused renewal), with Status 0, and the
// end of a request reports them with the status answered (Complete and
// the claim never report 0: a stored response is at least 200, and a
// refused claim answers 503). Status 0 tells the two apart.
func terminal(ev *idempotency.Event) bool {
	switch ev.Outcome {
	case idempotency.OutcomeReplayed, idempotency.OutcomeConflict, idempotency.OutcomeMismatch,
		idempotency.OutcomeKeyMissing, idempotency.OutcomeKeyInvalid, idempotency.OutcomeNoKey,
		idempotency.OutcomeBodyTooLarge, idempotency.OutcomeBodyUnreadable,
		idempotency.OutcomeCompleted, idempotency.OutcomeNotStored, idempotency.OutcomeAbandoned,
		idempotency.OutcomeFailOpen:
		return true
	case idempotency.OutcomeStoreError, idempotency.OutcomeOwnershipLost:
		return ev.Status != 0
	}
	return false
}

// Status classes, the status_class label of idempotency_requests_total.
// classUnknown is a request whose status the middleware did not write or
// see: the handler ran unguarded (no_key, fail_open) or panicked
// (abandoned).
const (
	classUnknown = iota
	class1xx
	class2xx
	class3xx
	class4xx
	class5xx
	numClasses
)

var classNames = [numClasses]string{"unknown", "1xx", "2xx", "3xx", "4xx", "5xx"}

func statusClass(status int) int {
	if status < 100 || status > 599 {
		return classUnknown
	}
	return status / 100
}

// Results of a lease renewal, the result label of
// idempotency_lease_renewals_total.
const (
	renewOK      = iota // the lease was extended
	renewError          // the store failed; the renewer tries again
	renewRefused        // the store said the key was taken over
	numRenewResults
)

var renewNames = [numRenewResults]string{"ok", "error", "refused"}
