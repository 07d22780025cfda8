package redisstore

import (
	"context"
	"time"

	"github.com/idemgen/idemgen/internal/seedheader"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// The seed contract (idempotency.Store) takes no context and returns no
// errors, so these methods bound each call with the store's timeout and
// fail closed: a server error reads as "not found" for Get and as "not
// acquired" for Lock. They share the keys of the ClaimStore methods, so a
// record written by one side replays on the other, and a seed Lock and a
// Claim exclude each other.

// seedLockMarker is the value of a lease held through Lock. Claim tokens
// come from crypto/rand.Text, which never yields it.
const seedLockMarker = "seed-lock"

func (s *Store) seedContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Get returns the response stored under key, by Set or by Complete. A
// header with several values comes back as one, as
// idempotency.CachedResponse describes: the values joined by ", ",
// Set-Cookie's first only.
func (s *Store) Get(key string) (*idempotency.CachedResponse, bool) {
	ctx, cancel := s.seedContext()
	defer cancel()
	blob, err := s.client.HGet(ctx, s.keys(key)[0], "r").Bytes()
	if err != nil {
		return nil, false
	}
	rec, err := decodeRecord(blob)
	if err != nil {
		return nil, false
	}
	return &idempotency.CachedResponse{
		StatusCode: rec.Status,
		Headers:    seedheader.Flatten(rec.Header),
		Body:       rec.Body,
		CreatedAt:  rec.CreatedAt,
		ExpiresAt:  rec.ExpiresAt,
	}, true
}

// Set stores response under key until response.ExpiresAt, or for the
// store's TTL when that is zero. A nil response is ignored.
func (s *Store) Set(key string, response *idempotency.CachedResponse) {
	if response == nil {
		return
	}
	rec := &idempotency.Record{
		Status:    response.StatusCode,
		Header:    seedheader.Expand(response.Headers),
		Body:      response.Body,
		CreatedAt: response.CreatedAt,
		ExpiresAt: response.ExpiresAt,
	}
	ttl := s.ttl
	if !rec.ExpiresAt.IsZero() {
		// A time already past leaves a record that expires at once.
		ttl = time.Until(rec.ExpiresAt)
	}
	ctx, cancel := s.seedContext()
	defer cancel()
	seedSetScript.Run(ctx, s.client, s.keys(key)[:1], encodeRecord(rec), ms(ttl))
}

// Delete removes the response and any lock or claim under key.
func (s *Store) Delete(key string) {
	ctx, cancel := s.seedContext()
	defer cancel()
	s.client.Del(ctx, s.keys(key)...)
}

// Lock takes the key's lease for the store's lock lease (one minute by
// default, see WithLockLease), and reports whether it got it.
func (s *Store) Lock(key string) bool {
	ctx, cancel := s.seedContext()
	defer cancel()
	if s.ready(ctx) != nil {
		return false
	}
	ok, err := s.client.SetNX(ctx, s.keys(key)[1], seedLockMarker, s.lockLease).Result()
	return err == nil && ok
}

// Unlock releases a lease taken by Lock. It never releases a claim taken
// through Claim.
func (s *Store) Unlock(key string) {
	ctx, cancel := s.seedContext()
	defer cancel()
	seedUnlockScript.Run(ctx, s.client, s.keys(key)[1:], seedLockMarker)
}
