package pgstore

import (
	"context"
	"time"

	"github.com/idemgen/idemgen/internal/seedheader"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
)

// The seed idempotency.Store has no context and no error results, so its
// methods run under their own timeout and report failure the only way the
// interface allows: Get misses, Lock refuses, Set, Delete and Unlock do
// nothing. The middleware prefers the ClaimStore methods, which do report
// errors.
const (
	// SeedTimeout bounds each seed Store call.
	SeedTimeout = 5 * time.Second
	// SeedLockLease is how long a seed Lock lasts if Unlock never comes
	// (the process died); after it the lock can be taken again.
	SeedLockLease = 5 * time.Minute
)

// seedLockPrefix keeps seed locks apart from records. Keys are bytes, and
// the seed Store's callers pass printable keys, so a NUL-led prefix cannot
// collide with one.
const seedLockPrefix = "\x00lock\x00"

func seedContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), SeedTimeout)
}

// Get returns the completed, unexpired response stored under key, by Set
// or by Complete. A header with several values comes back as one, as
// idempotency.CachedResponse describes: the values joined by ", ",
// Set-Cookie's first only.
func (s *Store) Get(key string) (*idempotency.CachedResponse, bool) {
	if s.err != nil {
		return nil, false
	}
	ctx, cancel := seedContext()
	defer cancel()
	var (
		status       int32
		header, body []byte
		resp         idempotency.CachedResponse
	)
	err := retry(ctx, func(bool) error {
		return s.pool.QueryRow(ctx, s.q.get, []byte(key)).Scan(&status, &header, &body, &resp.CreatedAt, &resp.ExpiresAt)
	})
	if err != nil {
		return nil, false
	}
	h, err := headercodec.Decode(header)
	if err != nil {
		return nil, false
	}
	resp.StatusCode = int(status)
	resp.Body = body
	resp.Headers = seedheader.Flatten(h)
	return &resp, true
}

// Set stores response under key, replacing whatever the key held, until
// response.ExpiresAt (the store's TTL when zero).
func (s *Store) Set(key string, response *idempotency.CachedResponse) {
	if s.err != nil || response == nil {
		return
	}
	ctx, cancel := seedContext()
	defer cancel()
	header := headercodec.Encode(seedheader.Expand(response.Headers))
	created, expires := optTime(response.CreatedAt), optTime(response.ExpiresAt)
	_ = retry(ctx, func(bool) error {
		_, err := s.pool.Exec(ctx, s.q.set, []byte(key), int32(response.StatusCode), header, response.Body, created, expires, s.ttl.Microseconds())
		return err
	})
}

// Delete removes whatever key holds.
func (s *Store) Delete(key string) {
	if s.err != nil {
		return
	}
	ctx, cancel := seedContext()
	defer cancel()
	_ = retry(ctx, func(bool) error {
		_, err := s.pool.Exec(ctx, s.q.del, []byte(key))
		return err
	})
}

// Lock takes the seed lock on key for SeedLockLease. It returns false when
// another holder has it, or when the database cannot be reached.
func (s *Store) Lock(key string) bool {
	if s.err != nil {
		return false
	}
	ctx, cancel := seedContext()
	defer cancel()
	c, err := s.Claim(ctx, seedLockPrefix+key, "", SeedLockLease)
	return err == nil && c.State == idempotency.Acquired
}

// Unlock releases the seed lock on key, whoever holds it.
func (s *Store) Unlock(key string) {
	if s.err != nil {
		return
	}
	ctx, cancel := seedContext()
	defer cancel()
	_ = retry(ctx, func(bool) error {
		_, err := s.pool.Exec(ctx, s.q.del, []byte(seedLockPrefix+key))
		return err
	})
}
