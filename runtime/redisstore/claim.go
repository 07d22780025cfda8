package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Claim atomically reads key and, when it is free, or held under a lease
// that has expired, takes it for lease. One round trip.
func (s *Store) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Claim, error) {
	if lease <= 0 {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim %q: lease must be positive, got %v", key, lease)
	}
	if err := s.ready(ctx); err != nil {
		return idempotency.Claim{}, err
	}
	token := rand.Text()
	cmd, acked, err := s.run(ctx, claimScript, s.keys(key),
		token, fingerprint, ms(lease), ms(s.pendingTTL(lease)))
	var res []any
	if err == nil {
		res, err = cmd.Slice()
	}
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim %q: %w", key, err)
	}
	c, err := parseClaim(res, token)
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim %q: %w", key, err)
	}
	if c.State == idempotency.Acquired && !acked {
		// Release what the master granted, lest a retry wait out the
		// lease; if that fails too, the lease ends it.
		abandonScript.Run(context.WithoutCancel(ctx), s.client, s.keys(key), token)
		return idempotency.Claim{}, fmt.Errorf("redisstore: claim %q: %w", key, ErrReplicaAck)
	}
	return c, nil
}

// parseClaim turns the reply of claimScript into a Claim.
func parseClaim(res []any, token string) (idempotency.Claim, error) {
	if len(res) < 2 {
		return idempotency.Claim{}, fmt.Errorf("unexpected script reply %v", res)
	}
	state, _ := res[0].(int64)
	switch state {
	case 0:
		taken, _ := res[1].(int64)
		var fence int64
		if len(res) > 2 {
			fence, _ = res[2].(int64)
		}
		return idempotency.Claim{State: idempotency.Acquired, Token: token, TakenOver: taken == 1, Fence: uint64(fence)}, nil
	case 1:
		fp, _ := res[1].(string)
		return idempotency.Claim{State: idempotency.InFlight, Fingerprint: fp}, nil
	case 2:
		fp, _ := res[1].(string)
		var blob string
		if len(res) > 2 {
			blob, _ = res[2].(string)
		}
		rec, err := decodeRecord([]byte(blob))
		if err != nil {
			return idempotency.Claim{}, err
		}
		rec.Fingerprint = fp
		return idempotency.Claim{State: idempotency.Completed, Fingerprint: fp, Record: rec}, nil
	}
	return idempotency.Claim{}, fmt.Errorf("unexpected script reply %v", res)
}

// Complete stores rec under key until rec.ExpiresAt (or for the store's TTL
// when it is zero), only if token still owns the claim.
func (s *Store) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	if rec == nil {
		return fmt.Errorf("redisstore: complete %q: nil record", key)
	}
	if token == "" {
		return idempotency.ErrNotOwner
	}
	ttl := s.ttl
	if !rec.ExpiresAt.IsZero() {
		ttl = time.Until(rec.ExpiresAt)
	}
	blob := encodeRecord(rec)
	cmd, acked, err := s.run(ctx, completeScript, s.keys(key),
		token, rec.Fingerprint, blob, ms(ttl))
	var ok int
	if err == nil {
		ok, err = cmd.Int()
	}
	if err == nil && ok == 1 && !acked {
		err = ErrReplicaAck
	}
	return s.fenced("complete", key, ok, err)
}

// Abandon releases the claim, only if token still owns it, so that the
// next request for key runs the handler.
func (s *Store) Abandon(ctx context.Context, key, token string) error {
	if token == "" {
		return idempotency.ErrNotOwner
	}
	ok, err := abandonScript.Run(ctx, s.client, s.keys(key), token).Int()
	return s.fenced("abandon", key, ok, err)
}

// Renew extends the owner's lease to lease from now, only if token still
// owns the claim.
func (s *Store) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	if lease <= 0 {
		return fmt.Errorf("redisstore: renew %q: lease must be positive, got %v", key, lease)
	}
	if token == "" {
		return idempotency.ErrNotOwner
	}
	ok, err := renewScript.Run(ctx, s.client, s.keys(key),
		token, ms(lease), ms(s.pendingTTL(lease))).Int()
	return s.fenced("renew", key, ok, err)
}

// fenced maps a token-checked script's reply to nil, ErrNotOwner or a
// wrapped server error.
func (s *Store) fenced(op, key string, ok int, err error) error {
	if err != nil {
		return fmt.Errorf("redisstore: %s %q: %w", op, key, err)
	}
	if ok != 1 {
		return idempotency.ErrNotOwner
	}
	return nil
}

// errCorrupt marks a stored record that cannot be decoded.
var errCorrupt = errors.New("corrupt record")
