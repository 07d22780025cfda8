package redisstore

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Defaults for the options.
const (
	DefaultPrefix = "idem"
	// DefaultTimeout bounds each call of the seed Store methods, which take
	// no context of their own.
	DefaultTimeout = 2 * time.Second
	// DefaultLockLease is how long a seed Lock holds when Unlock never comes
	// (its process died): the seed contract has no lease of its own.
	DefaultLockLease = time.Minute
)

// Store is an idempotency store on Redis. It is safe for concurrent use by
// any number of goroutines and processes. Create it with [New].
type Store struct {
	client    redis.UniversalClient
	prefix    string
	ttl       time.Duration
	timeout   time.Duration
	lockLease time.Duration
	ack       replicaAck // see WithReplicaAck
	check     gate       // the server check, see WithServerCheck
	optErr    error      // an invalid option, returned by every call
}

var (
	_ idempotency.ClaimStore = (*Store)(nil)
	_ idempotency.Store      = (*Store)(nil)
)

// Option configures a [Store].
type Option func(*Store)

// WithPrefix sets the namespace of every key (default "idem"), so that
// several services, or tests, can share one Redis. It must not contain
// "{" or "}", which would move the Cluster hash tag.
func WithPrefix(prefix string) Option {
	return func(s *Store) { s.prefix = prefix }
}

// WithTTL sets how long a record is kept when the middleware gives none
// (default idempotency.DefaultTTL). Values <= 0 are ignored.
func WithTTL(ttl time.Duration) Option {
	return func(s *Store) {
		if ttl > 0 {
			s.ttl = ttl
		}
	}
}

// WithTimeout bounds each call of the seed methods Get, Set, Delete, Lock
// and Unlock (default 2s). The ClaimStore methods obey their context
// instead. Values <= 0 are ignored.
func WithTimeout(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.timeout = d
		}
	}
}

// WithLockLease sets how long a seed Lock lasts without Unlock (default one
// minute). Values <= 0 are ignored.
func WithLockLease(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.lockLease = d
		}
	}
}

// WithServerCheck sets what the Store does when the Redis server is set
// up to lose its keys: evict them (a maxmemory-policy other than
// noeviction under a maxmemory limit) or forget them on restart (no AOF,
// no RDB). The default, [CheckWarn], logs each such setting once, with
// its cost and its fix; [CheckRefuse] refuses to serve on an unsafe
// server; [CheckOff] skips the check. New does no I/O: a Store made by
// New checks before it first serves (Claim, or the seed Lock), and one
// made by [NewChecked] at once. See [CheckServer].
func WithServerCheck(mode CheckMode) Option {
	return func(s *Store) {
		switch mode {
		case CheckWarn, CheckRefuse, CheckOff:
			s.check.mode = mode
		default:
			s.optErr = fmt.Errorf("redisstore: WithServerCheck: unknown mode %d "+
				"(want CheckWarn, CheckRefuse or CheckOff)", int(mode))
		}
	}
}

// WithLogger sets where the server check's warnings go (default
// slog.Default(), looked up when a warning is written). A nil logger
// keeps the default.
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) { s.check.logger = l }
}

// New returns a Store that keeps its records through client. The client
// stays the caller's: the Store never closes it. New does no I/O; the
// server check (see [WithServerCheck]) runs before the Store first serves.
func New(client redis.UniversalClient, opts ...Option) *Store {
	s := &Store{
		client:    client,
		prefix:    DefaultPrefix,
		ttl:       idempotency.DefaultTTL,
		timeout:   DefaultTimeout,
		lockLease: DefaultLockLease,
		check:     gate{recheck: recheckAfter},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// TTL is how long a record lives when the middleware was given no TTL.
func (s *Store) TTL() time.Duration { return s.ttl }

// Prefix returns the key namespace, for tools that inspect the keys.
func (s *Store) Prefix() string { return s.prefix }

// keys returns the record key and the lease key of an idempotency key. The
// lease key extends the record key, so both share one hash tag; the "#"
// keeps that tag non-empty even for a key that is empty or starts with "}"
// (an empty tag would hash the whole key). Since a record key always ends
// in "}" and a lease key never does, no two idempotency keys can map onto
// the same Redis key. A prefix must not contain "{" or "}".
func (s *Store) keys(key string) []string {
	rec := s.prefix + ":{#" + key + "}"
	return []string{rec, rec + ":lease"}
}

// pendingTTL is how long an unfinished claim's record outlives its lease.
// It stays long after the lease so a later claim can report the takeover of
// a crashed owner, and no longer than a completed record would live.
func (s *Store) pendingTTL(lease time.Duration) time.Duration {
	return max(s.ttl, 2*lease)
}

func ms(d time.Duration) int64 {
	return max(d.Milliseconds(), 1)
}
