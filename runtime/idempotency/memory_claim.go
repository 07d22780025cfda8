package idempotency

import (
	"context"
	"fmt"
	"time"
)

// Claim implements [ClaimStore]. A key whose record expired is acquired
// afresh; a key whose owner's lease ended is taken over (TakenOver), and
// the old owner's token stops working.
func (s *MemoryStore) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Claim, error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, fmt.Errorf("idempotency: MemoryStore.Claim: %w", err)
	}
	if lease <= 0 {
		return Claim{}, fmt.Errorf("idempotency: MemoryStore.Claim: lease must be positive, got %v", lease)
	}
	sh := s.shardFor(key)
	_, wall, mono := s.now()
	sh.mu.Lock()
	c, tok, err := sh.claim(key, fingerprint, stateClaimed, int64(lease), wall, mono)
	sh.mu.Unlock()
	if err != nil {
		return Claim{}, err
	}
	if c.State == Acquired {
		c.Token = s.tok.format(s.tok.scramble(tok))
	}
	return c, nil
}

// claim is Claim under the shard lock. It returns the raw counter value of
// a new owner, for the caller to scramble and format after unlocking.
func (sh *shard) claim(key, fp string, st entryState, lease, wall, mono int64) (Claim, uint64, error) {
	if sh.m == nil {
		return Claim{}, 0, ErrStoreClosed
	}
	if e := sh.m[key]; e != nil {
		switch {
		case e.state == stateDone && e.deadline > wall:
			return Claim{State: Completed, Fingerprint: e.rec.Fingerprint, Record: &e.rec}, 0, nil
		case e.state == stateDone:
			sh.remove(e)
			sh.expired++
		case e.deadline > mono:
			return Claim{State: InFlight, Fingerprint: e.rec.Fingerprint, LeaseRemaining: time.Duration(e.deadline - mono)}, 0, nil
		default:
			// The owner's lease ended: hand the same entry to the newcomer.
			sh.ctr += sh.step
			sh.bytes -= int64(e.size)
			e.rec.Fingerprint = fp
			e.size = entrySize(key, &e.rec)
			sh.bytes += int64(e.size)
			e.tok, e.state, e.deadline = sh.ctr, st, mono+lease
			sh.live.fix(int(e.idx))
			return Claim{State: Acquired, TakenOver: true}, sh.ctr, nil
		}
	}
	sh.sweep(wall, mono, 2)
	e := &entry{key: key, rec: Record{Fingerprint: fp}, state: st, deadline: mono + lease}
	e.size = entrySize(key, &e.rec)
	if !sh.makeRoom(int64(e.size), 1, wall, mono) {
		return Claim{}, 0, ErrStoreFull
	}
	sh.ctr += sh.step
	e.tok = sh.ctr
	sh.add(e)
	return Claim{State: Acquired}, sh.ctr, nil
}

// owned returns the entry key's token owns, under the shard lock.
func (s *MemoryStore) owned(sh *shard, key, token string) (*entry, error) {
	if sh.m == nil {
		return nil, ErrStoreClosed
	}
	t, ok := s.tok.parse(token)
	e := sh.m[key]
	if !ok || e == nil || e.state != stateClaimed || s.tok.scramble(e.tok) != t {
		return nil, ErrNotOwner
	}
	return e, nil
}

// Complete implements [ClaimStore]. The record is kept until rec.ExpiresAt,
// or for the store's TTL when that is zero; CreatedAt defaults to now and
// Fingerprint to the claim's. A record that no longer fits a bounded store
// gives an error wrapping ErrStoreFull and leaves the claim in place.
func (s *MemoryStore) Complete(ctx context.Context, key, token string, rec *Record) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("idempotency: MemoryStore.Complete: %w", err)
	}
	if rec == nil {
		return fmt.Errorf("idempotency: MemoryStore.Complete: nil record for key %q", key)
	}
	now, wall, mono := s.now()
	r := *rec
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = now.Add(s.ttl)
	}
	r.ExpiresAt = r.ExpiresAt.Round(0)
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, err := s.owned(sh, key, token)
	if err != nil {
		return err
	}
	if r.Fingerprint == "" {
		r.Fingerprint = e.rec.Fingerprint
	}
	exp := r.ExpiresAt.UnixNano()
	if exp <= wall {
		sh.remove(e)
		return nil // already expired: nothing to keep, the key is free
	}
	// Take the claim out of the live heap so that making room cannot touch
	// it, then put the record in its place in the map.
	sh.live.remove(e)
	sh.bytes -= int64(e.size)
	done := &entry{key: key, rec: r, state: stateDone, deadline: exp}
	done.size = entrySize(key, &done.rec)
	if !sh.makeRoom(int64(done.size), 0, wall, mono) {
		sh.live.push(e)
		sh.bytes += int64(e.size)
		return fmt.Errorf("idempotency: MemoryStore.Complete: record of %d bytes for key %q: %w", done.size, key, ErrStoreFull)
	}
	sh.m[key] = done
	sh.done.push(done)
	sh.bytes += int64(done.size)
	sh.sweep(wall, mono, 2)
	return nil
}

// Abandon implements [ClaimStore]: the owner's claim is dropped and the key
// is free at once.
func (s *MemoryStore) Abandon(ctx context.Context, key, token string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("idempotency: MemoryStore.Abandon: %w", err)
	}
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, err := s.owned(sh, key, token)
	if err != nil {
		return err
	}
	sh.remove(e)
	return nil
}

// Renew implements [ClaimStore]. An owner whose lease ended may still renew
// as long as nobody has taken the key over.
func (s *MemoryStore) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("idempotency: MemoryStore.Renew: %w", err)
	}
	if lease <= 0 {
		return fmt.Errorf("idempotency: MemoryStore.Renew: lease must be positive, got %v", lease)
	}
	_, _, mono := s.now()
	sh := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, err := s.owned(sh, key, token)
	if err != nil {
		return err
	}
	e.deadline = mono + int64(lease)
	sh.live.fix(int(e.idx))
	return nil
}
