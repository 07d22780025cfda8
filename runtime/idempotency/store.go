package idempotency

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

const (
	// HeaderIdempotencyKey is the header name for idempotency keys
	HeaderIdempotencyKey = contract.HeaderKey
	// HeaderIdempotencyReplayed indicates the response was replayed from cache
	HeaderIdempotencyReplayed = contract.HeaderReplayed
	// DefaultTTL is the default time-to-live for cached responses
	DefaultTTL = 24 * time.Hour
	// MaxKeyLength is the maximum allowed length for an idempotency key
	MaxKeyLength = contract.MaxKeyLength
)

// CachedResponse stores a cached API response
//
// It is the record of the seed Store interface. Its Headers keep one value
// per name: a header sent several times is stored with its values joined
// by ", ", except Set-Cookie, which keeps its first value. The stores of
// this module return that from their seed Get, whichever side stored the
// response; the middleware keeps every value through [Record] when the
// store is a [ClaimStore].
type CachedResponse struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers"`
	Body       []byte            `json:"body"`
	CreatedAt  time.Time         `json:"created_at"`
	ExpiresAt  time.Time         `json:"expires_at"`
}

// Info represents information about an idempotency key
//
// The middleware puts it in the request context; read it with [FromContext].
type Info struct {
	Key       string    `json:"key"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	Replayed  bool      `json:"replayed"`
	// Fence is this run's fencing token: it grows with every acquisition
	// of the key, takeovers included, so an owner that took the key over
	// holds a larger one than every owner before it. Pass it to a
	// downstream system that can refuse a write carrying a smaller fence
	// than one it has seen for the same key; see the package
	// documentation. Zero when the store keeps none ([AdaptStore]).
	Fence uint64 `json:"fence,omitempty"`
	// TakenOver reports that this run took the key over from an owner
	// whose lease had expired: that owner may have done part of the work,
	// or may still be doing it.
	TakenOver bool `json:"taken_over,omitempty"`
}

// Store defines the interface for idempotency key storage
//
// It is the seed's simple contract: enough for one process, not for many.
// A new store should implement [ClaimStore] instead (or as well: the
// middleware prefers it whenever a store provides it); [AdaptStore] plugs a
// seed-only store into the constructors that take a ClaimStore.
type Store interface {
	// Get retrieves a cached response by key
	Get(key string) (*CachedResponse, bool)
	// Set stores a response with the given key
	Set(key string, response *CachedResponse)
	// Delete removes a cached response
	Delete(key string)
	// Lock acquires a lock for processing a key (returns true if lock acquired)
	Lock(key string) bool
	// Unlock releases the lock for a key
	Unlock(key string)
}

// ClaimState says what [ClaimStore.Claim] found under a key.
type ClaimState uint8

const (
	// Acquired means the caller now owns the key. It must finish with
	// Complete or Abandon, presenting [Claim.Token].
	Acquired ClaimState = iota + 1
	// InFlight means another request owns the key and its lease still runs.
	InFlight
	// Completed means a response is stored under the key.
	Completed
)

// String returns the state's name, for logs.
func (s ClaimState) String() string {
	switch s {
	case Acquired:
		return "acquired"
	case InFlight:
		return "in-flight"
	case Completed:
		return "completed"
	}
	return "unknown"
}

// Claim is the answer of [ClaimStore.Claim].
type Claim struct {
	State ClaimState
	// Token fences the owner (Acquired): Complete, Abandon and Renew refuse
	// any other token, so an owner whose lease was taken over cannot
	// overwrite its successor's work.
	Token string
	// TakenOver reports that Acquired replaced an owner whose lease had
	// expired, most likely because its process died.
	TakenOver bool
	// Fence is the owner's fencing token (Acquired): a number that grows
	// with every acquisition of the key, takeovers included, so that a
	// later owner always holds a larger one than the owner it took over
	// from. A store that forgets a key's history (its record expires, its
	// row is swept) takes its clock's microseconds as the fence's floor,
	// so that it still grows after that. Zero when the store keeps none.
	Fence uint64
	// Fingerprint is the request fingerprint of the current owner (InFlight)
	// or of the request that completed the key (Completed).
	Fingerprint string
	// Record is the stored response (Completed).
	Record *Record
}

// Record is a completed response as a [ClaimStore] keeps it.
type Record struct {
	Fingerprint string
	Status      int
	Header      http.Header
	Body        []byte
	// BodyOmitted is set when the handler streamed its body (Flush) or wrote
	// more than the size cap: the replay carries status and headers only.
	BodyOmitted bool
	CreatedAt   time.Time
	// ExpiresAt is when the store may forget the record.
	ExpiresAt time.Time
}

// ClaimStore is the contract a store shared by many processes needs: an
// atomic claim with an owner token and a lease, and token-checked
// completion. Every method takes a context and reports failure as an error;
// the middleware answers 503 (or fails open, if configured) on any error
// other than [ErrNotOwner].
//
// It is what a store implements and what [New], [NewRouter],
// [NewRouteMiddleware] and the generated NewIdempotentServer and
// NewIdempotencyMiddleware take; [AdaptStore] makes one of a seed-only
// [Store]. The storetest package checks an implementation against this
// contract.
//
// A store must not keep a method's context after the method returns: the
// middleware reuses the one it passes to Claim for the next request.
type ClaimStore interface {
	// Claim atomically reads the key and, when it is free, expired, or held
	// under an expired lease, takes it for lease and records fingerprint.
	Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Claim, error)
	// Complete stores rec under key until rec.ExpiresAt, only if token still
	// owns the claim; otherwise it returns ErrNotOwner and changes nothing.
	// A store that cannot hold rec because of its size returns an error
	// wrapping ErrRecordTooLarge, or ErrStoreFull when it has no room left
	// at all, and keeps the claim; the middleware then completes again with
	// the body omitted, so that a retry replays rather than runs again.
	Complete(ctx context.Context, key, token string, rec *Record) error
	// Abandon releases the claim, only if token still owns it; otherwise it
	// returns ErrNotOwner and changes nothing.
	Abandon(ctx context.Context, key, token string) error
	// Renew extends the owner's lease to lease from now, only if token still
	// owns the claim; otherwise it returns ErrNotOwner.
	Renew(ctx context.Context, key, token string, lease time.Duration) error
	// TTL is how long the store keeps a record when the middleware was
	// given no TTL of its own.
	TTL() time.Duration
}

// TxStore is a [ClaimStore] that can complete a key in the same database
// transaction as the handler's own writes, so that the operation's effects
// and its stored response commit together or not at all. The middleware
// uses it for an operation built [WithTransaction].
type TxStore interface {
	ClaimStore
	// BeginTx opens a transaction for the owner of key (token) and
	// returns ctx carrying it, where the handler finds it with the
	// store's own accessor (pgstore.TxFromContext, say). The transaction
	// must not end when ctx is cancelled: the middleware ends it.
	BeginTx(ctx context.Context, key, token string) (context.Context, Tx, error)
}

// Tx is one transaction opened by [TxStore.BeginTx].
type Tx interface {
	// Commit completes the key with rec in the transaction, only while
	// its token still owns the claim, and commits. When the token no
	// longer owns it, Commit rolls back and returns ErrNotOwner. A record
	// the store cannot hold is refused (ErrRecordTooLarge, wrapped)
	// before anything is written, so that Commit may be called again
	// with the body omitted.
	Commit(ctx context.Context, rec *Record) error
	// Rollback discards the transaction. After Commit it does nothing.
	Rollback(ctx context.Context) error
}

// ErrLeaseLost is the cause (context.Cause) of a handler's context that
// the middleware cancelled because its claim's lease was lost: the store
// said another request took the key over, or no renewal got through
// before the lease ran out, so another request may take it over and run.
// A handler that sees it should stop before its side effects; its
// response is not stored unless its token still owns the key.
var ErrLeaseLost = errors.New("idempotency: the claim's lease was lost")

// ErrNotOwner is returned by Complete, Abandon and Renew when the token no
// longer owns the claim: it was abandoned, completed, or taken over after
// its lease expired.
var ErrNotOwner = errors.New("idempotency: claim is not owned by this token")

// ErrRecordTooLarge is returned (wrapped) by Complete when the record is
// larger than the store can hold at all, however empty it is: a bounded
// [MemoryStore]'s share of MaxBytes, or a limit of the database behind a
// store. It is distinct from [ErrStoreFull]: no eviction or wait would make
// room. The middleware answers it by storing the response as status and
// headers only ([Record.BodyOmitted]).
var ErrRecordTooLarge = errors.New("idempotency: record is too large for the store")
