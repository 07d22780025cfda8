package idempotency

import (
	"context"
	"fmt"
	"math"
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
	slot, id, found := sh.find(h, key)
	if found {
		m := sh.metas.at(id)
		switch {
		case m.state == stateDone && m.deadline > wall:
			rec := sh.replay(id)
			return Claim{State: Completed, Fingerprint: rec.Fingerprint, Record: rec}, 0, nil
		case m.state == stateDone:
			sh.remove(id)
			sh.expired++
			slot = -1 // the index changed; look the slot up again
		case m.deadline > mono:
			return Claim{State: InFlight, Fingerprint: string(sh.fpOf(m))}, 0, nil
		default:
			// The owner's lease ended: hand the same entry to the newcomer.
			sh.ctr += sh.step
			sh.bytes -= charge(m)
			rewriteRecord(sh, id, st, fp, nil, nil)
			sh.bytes += charge(m)
			m.aux, m.deadline = int64(sh.ctr), addSat(mono, lease)
			sh.live.fix(&sh.metas, int(m.heapIdx))
			return Claim{State: Acquired, TakenOver: true, Fence: sh.ctr}, sh.ctr, nil
		}
	}
	// Any removal may shift entries in the index; the count tells whether
	// the empty slot found above is still the right one.
	n := sh.ix.n
	sh.sweep(wall, mono, 2)
	if !sh.makeRoom(int64(recordLen(key, fp, nil, nil))+entryCharge, 1, wall, mono) {
		return Claim{}, 0, ErrStoreFull
	}
	sh.ctr += sh.step
	id = sh.newEntry(h)
	m := sh.metas.at(id)
	m.aux, m.state, m.deadline = int64(sh.ctr), st, addSat(mono, lease)
	writeRecord(sh, id, m, key, fp, nil, nil)
	if slot >= 0 && sh.ix.n == n {
		sh.ix.insertAt(slot, h, id)
	} else {
		sh.ix.put(h, id)
	}
	sh.track(id)
	return Claim{State: Acquired, Fence: sh.ctr}, sh.ctr, nil
}

// owned returns the number of the entry key's token owns, under the shard
// lock.
func (s *MemoryStore) owned(sh *shard, h uint32, key, token string) (uint32, error) {
	if sh.closed {
		return 0, ErrStoreClosed
	}
	t, ok := s.tok.parse(token)
	id, found := sh.get(h, key)
	if !ok || !found || sh.metas.at(id).state != stateClaimed || s.tok.scramble(uint64(sh.metas.at(id).aux)) != t {
		return 0, ErrNotOwner
	}
	return id, nil
}

// Complete implements [ClaimStore]. The record is kept until rec.ExpiresAt,
// or for the store's TTL when that is zero; CreatedAt defaults to now and
// Fingerprint to the claim's. The store copies rec's Header and Body: the
// caller may reuse them once Complete returns. In a bounded store, a record larger than its shard's share of
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

// complete is Complete under the shard lock. The record's header and body
// are copied into the shard's slab.
func (s *MemoryStore) complete(sh *shard, h uint32, key, token string, r *Record, wall, mono int64) error {
	id, err := s.owned(sh, h, key, token)
	if err != nil {
		return err
	}
	if unixNano(r.ExpiresAt) <= wall {
		sh.remove(id)
		return nil // already expired: nothing to keep, the key is free
	}
	m := sh.metas.at(id)
	sh.header = sh.encodeHeader(sh.header[:0], r.Header)
	var n int64
	if r.Fingerprint != "" {
		n = int64(recordLen(key, r.Fingerprint, sh.header, r.Body))
	} else {
		n = int64(recordLen(key, sh.fpOf(m), sh.header, r.Body))
	}
	size := int64(slabLen(int(min(n, maxRecordLen)))) + entryCharge
	// Take the claim out of the live heap so that making room cannot evict
	// it, then turn the same entry into the record.
	sh.untrack(id)
	if n > maxRecordLen || !sh.makeRoom(size, 0, wall, mono) {
		sh.track(id)
		if n > maxRecordLen || (sh.maxBytes > 0 && size > sh.maxBytes) {
			return fmt.Errorf("idempotency: MemoryStore.Complete: record of %d bytes for key %q, over the %d bytes of its shard (see MemoryOptions.MaxResponseBody): %w",
				size, key, sh.maxBytes, ErrRecordTooLarge)
		}
		return fmt.Errorf("idempotency: MemoryStore.Complete: record of %d bytes for key %q: %w", size, key, ErrStoreFull)
	}
	if r.Fingerprint != "" {
		rewriteRecord(sh, id, stateDone, r.Fingerprint, sh.header, r.Body)
	} else {
		// The claim's fingerprint: its bytes stay readable while the
		// record moves, since a slab never writes over a record.
		rewriteRecord(sh, id, stateDone, sh.fpOf(m), sh.header, r.Body)
	}
	m.status = int32(min(max(r.Status, math.MinInt32), math.MaxInt32))
	m.omitted = r.BodyOmitted
	m.aux, m.deadline = unixNano(r.CreatedAt), unixNano(r.ExpiresAt)
	sh.track(id)
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
	id, err := s.owned(sh, h, key, token)
	if err != nil {
		return err
	}
	sh.remove(id)
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
	id, err := s.owned(sh, h, key, token)
	if err != nil {
		return err
	}
	m := sh.metas.at(id)
	m.deadline = addSat(mono, int64(lease))
	sh.live.fix(&sh.metas, int(m.heapIdx))
	return nil
}
