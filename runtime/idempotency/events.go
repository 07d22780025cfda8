package idempotency

import (
	"context"
	"time"
)

// Outcome is what the middleware did with one request.
type Outcome uint8

// Outcomes reported to the observer (see [WithObserver]). A request that
// runs its handler reports two: how it got the key (Acquired or
// ExpiredTakeover) and how it ended (Completed, NotStored, Abandoned,
// OwnershipLost, or StoreError when storing the response failed).
//
// Evicted comes from a bounded MemoryStore, not from the middleware, which
// never sees it: give the store the same function with
// MemoryOptions.OnEvict. New outcomes are added at the end, so the values
// of existing ones never change.
const (
	OutcomeAcquired        Outcome = iota + 1 // key claimed; the handler runs
	OutcomeReplayed                           // stored response replayed; the handler did not run
	OutcomeConflict                           // key in flight: 409 (after any WithWait)
	OutcomeMismatch                           // key reused for a different request: 422
	OutcomeExpiredTakeover                    // key claimed from an owner whose lease expired
	OutcomeStoreError                         // the store failed: 503, or a failed completion
	OutcomeKeyMissing                         // key required but absent: 400
	OutcomeKeyInvalid                         // key malformed or repeated: 400
	OutcomeNoKey                              // key optional and absent: the handler ran unguarded
	OutcomeBodyTooLarge                       // request body over the cap: 413
	OutcomeBodyUnreadable                     // request body read failed: 400
	OutcomeCompleted                          // response stored for replay
	OutcomeNotStored                          // 5xx not stored: the key was released
	OutcomeAbandoned                          // the handler panicked: the key was released
	OutcomeOwnershipLost                      // Complete or Renew refused: the lease was taken over
	OutcomeFailOpen                           // the store failed and the handler ran unguarded
	OutcomeEvicted                            // a completed record was evicted before its expiry to make room: a retry with its key runs again
	OutcomeRenewed                            // the lease of a running handler was renewed
)

var outcomeNames = [...]string{
	OutcomeAcquired:        "acquired",
	OutcomeReplayed:        "replayed",
	OutcomeConflict:        "conflict",
	OutcomeMismatch:        "mismatch",
	OutcomeExpiredTakeover: "expired_takeover",
	OutcomeStoreError:      "store_error",
	OutcomeKeyMissing:      "key_missing",
	OutcomeKeyInvalid:      "key_invalid",
	OutcomeNoKey:           "no_key",
	OutcomeBodyTooLarge:    "body_too_large",
	OutcomeBodyUnreadable:  "body_unreadable",
	OutcomeCompleted:       "completed",
	OutcomeNotStored:       "not_stored",
	OutcomeAbandoned:       "abandoned",
	OutcomeOwnershipLost:   "ownership_lost",
	OutcomeFailOpen:        "fail_open",
	OutcomeEvicted:         "evicted",
	OutcomeRenewed:         "renewed",
}

// String returns a stable snake_case name, usable as a metric label.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) && outcomeNames[o] != "" {
		return outcomeNames[o]
	}
	return "unknown"
}

// Event describes one outcome.
type Event struct {
	Outcome Outcome
	// Method and Route identify the operation: Route is the WithRoute
	// pattern, or "METHOD /path" without one.
	Method, Route string
	// Operation names the operation for metrics and logs: the
	// [WithOperation] name (the generated code gives the operationId),
	// else Route. Its values are bounded by the routes, never by paths.
	Operation string
	// Context is the request's context, for an observer that annotates the
	// request's trace span; nil on Evicted.
	Context context.Context
	// Key is the client's key as sent (after sf-string decoding); empty when
	// absent or invalid. On Evicted it is the store's key.
	Key string
	// Status is the response status where one is known (on Evicted, the
	// evicted record's).
	Status int
	// Err is the cause of StoreError, KeyInvalid, BodyTooLarge,
	// BodyUnreadable, OwnershipLost and FailOpen. On NotStored and
	// Abandoned it is the error of releasing the key, if that failed. On
	// Completed it is the store's refusal of the whole record (wrapping
	// ErrRecordTooLarge or ErrStoreFull) when the response was then stored
	// as status and headers only; nil otherwise.
	Err error
	// Elapsed is the time since the middleware received the request; on
	// Evicted, the record's age.
	Elapsed time.Duration
}
