package idempotency

import (
	"context"
	"fmt"
	"time"
)

// Claim implements [ClaimStore]. A key whose record expired is acquired
// afresh; a key whose owner's lease ended is taken over (TakenOver), and
// the old owner's token stops working. The fence is the shard's claim
// counter, which every acquisition of a key in the shard moves forward.
func (s *MemoryStore) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (Claim, error) {
	if err := ctx.Err(); err != nil {
		return Claim{}, fmt.Errorf("idempotency: MemoryStore.Claim: %w", err)
	}
	if lease <= 0 {
		return Claim{}, fmt.Errorf("idempotency: MemoryStore.Claim: lease must be positive, got %v", lease)
	}
	sh, h := s.shardFor(key)
	_, wall, mono := s.now()
	sh.mu.Lock()
	c, tok, err := sh.claim(h, key, fingerprint, stateClaimed, int64(lease), wall, mono)
	evs := sh.takeEvicted()
	sh.mu.Unlock()
	s.report(evs)
	if err != nil {
		return Claim{}, err
	}
	if c.State == Acquired {
		c.Token = s.tok.format(s.tok.scramble(tok))
	}
	return c, nil
}

// claim is Claim under the shard lock. It returns the raw number of a new
// owner's token, for the caller to scramble and format after unlocking.
func (sh *shard) claim(h uint32, key, fp string, st entryState, lease, wall, mono int64) (Claim, uint64, error) {
	if sh.closed {
		return Claim{}, 0, ErrStoreClosed
	}
	slot, e := sh.ix.find(h, key)
	if e != nil {
		switch {
		case e.state == stateDone && e.deadline > wall:
			return Claim{State: Completed, Fingerprint: e.fp, Record: e.record()}, 0, nil
		case e.state == stateDone:
			sh.remove(e)
			sh.expired++
			slot = -1 // the index changed; look the slot up again
		case e.deadline > mono:
			return Claim{State: InFlight, Fingerprint: e.fp}, 0, nil
		default:
			// The owner's lease ended: hand the same entry to the newcomer.
			sh.ctr += sh.step
			sh.bytes -= int64(e.size)
			e.fp = fp
			e.size = entrySize(e)
			sh.bytes += int64(e.size)
			e.aux, e.state, e.deadline = int64(sh.ctr), st, addSat(mono, lease)
			sh.live.fix(int(e.idx))
			return Claim{State: Acquired, TakenOver: true, Fence: sh.ctr}, sh.ctr, nil
		}
	}
	// Any removal may shift entries in the index; the count tells whether
	// the empty slot found above is still the right one.
	n := sh.ix.n
	sh.sweep(wall, mono, 2)
	e = &entry{key: key, fp: fp, hash: h, state: st, deadline: addSat(mono, lease)}
	e.size = entrySize(e)
	if !sh.makeRoom(int64(e.size), 1, wall, mono) {
		return Claim{}, 0, ErrStoreFull
	}
	sh.ctr += sh.step
	e.aux = int64(sh.ctr)
	if slot >= 0 && sh.ix.n == n {
		sh.ix.insertAt(slot, e)
	} else {
		sh.ix.put(e)
	}
	sh.track(e)
	return Claim{State: Acquired, Fence: sh.ctr}, sh.ctr, nil
}

// owned returns the entry key's token owns, under the shard lock.
func (s *MemoryStore) owned(sh *shard, h uint32, key, token string) (*entry, error) {
	if sh.closed {
		return nil, ErrStoreClosed
	}
	t, ok := s.tok.parse(token)
	e := sh.ix.get(h, key)
	if !ok || e == nil || e.state != stateClaimed || s.tok.scramble(uint64(e.aux)) != t {
		return nil, ErrNotOwner
	}
	return e, nil
}

// Complete implements [ClaimStore]. The record is kept until rec.ExpiresAt,
// or for the store's TTL when that is zero; CreatedAt defaults to now and
// Fingerprint to the claim's. The store keeps rec's Header and Body as they
// are. In a bounded store, a record larger than its shard's share of
// MaxBytes gives an error wrapping ErrRecordTooLarge (nothing is evicted
// for it), and a record that does not fit beside the live claims one
// wrapping ErrStoreFull; either way the claim stays in place.
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
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	err := s.complete(sh, h, key, token, &r, wall, mono)
	evs := sh.takeEvicted()
	sh.mu.Unlock()
	s.report(evs)
	return err
}

// complete is Complete under the shard lock.
func (s *MemoryStore) complete(sh *shard, h uint32, key, token string, r *Record, wall, mono int64) error {
	e, err := s.owned(sh, h, key, token)
	if err != nil {
		return err
	}
	if r.Fingerprint == "" {
		r.Fingerprint = e.fp
	}
	if unixNano(r.ExpiresAt) <= wall {
		sh.remove(e)
		return nil // already expired: nothing to keep, the key is free
	}
	// Take the claim out of the live heap so that making room cannot evict
	// it, then turn the same entry into the record.
	sh.live.remove(e)
	sh.bytes -= int64(e.size)
	claimed := *e
	e.setRecord(r)
	if size := int64(e.size); !sh.makeRoom(size, 0, wall, mono) {
		*e = claimed
		sh.track(e)
		if sh.maxBytes > 0 && size > sh.maxBytes {
			return fmt.Errorf("idempotency: MemoryStore.Complete: record of %d bytes for key %q, over the %d bytes of its shard (see MemoryOptions.MaxResponseBody): %w",
				size, key, sh.maxBytes, ErrRecordTooLarge)
		}
		return fmt.Errorf("idempotency: MemoryStore.Complete: record of %d bytes for key %q: %w", size, key, ErrStoreFull)
	}
	sh.track(e)
	sh.sweep(wall, mono, 2)
	return nil
}

// Abandon implements [ClaimStore]: the owner's claim is dropped and the key
// is free at once.
func (s *MemoryStore) Abandon(ctx context.Context, key, token string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("idempotency: MemoryStore.Abandon: %w", err)
	}
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, err := s.owned(sh, h, key, token)
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
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, err := s.owned(sh, h, key, token)
	if err != nil {
		return err
	}
	e.deadline = addSat(mono, int64(lease))
	sh.live.fix(int(e.idx))
	return nil
}
