package idempotency

import (
	"math"

	"github.com/idemgen/idemgen/internal/seedheader"
)

// Get retrieves a cached response
//
// Only a completed, unexpired record is returned, whether Set or Complete
// stored it. A header with several values comes back as one value, as
// [CachedResponse] describes: the values joined by ", ", Set-Cookie's
// first only. The body may be shared with other replays of the key and
// must not be modified.
func (s *MemoryStore) Get(key string) (*CachedResponse, bool) {
	_, wall, _ := s.now()
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	var r *Record
	if id, ok := sh.get(h, key); ok && sh.metas.at(id).state == stateDone && sh.metas.at(id).deadline > wall {
		r = sh.replay(id)
	}
	sh.mu.Unlock()
	if r == nil {
		return nil, false
	}
	// The Record is read-only once built, so it can be read unlocked.
	return &CachedResponse{
		StatusCode: r.Status,
		Headers:    seedheader.Flatten(r.Header),
		Body:       r.Body,
		CreatedAt:  r.CreatedAt,
		ExpiresAt:  r.ExpiresAt,
	}, true
}

// Set stores a response
//
// It replaces whatever the key holds, claim or record. The record expires
// at response.ExpiresAt, or after the store's TTL when that is zero. A nil
// response is ignored, and so is a response that a bounded store has no
// room for. The store copies the body and headers.
func (s *MemoryStore) Set(key string, response *CachedResponse) {
	if response == nil {
		return
	}
	now, wall, mono := s.now()
	r := Record{Status: response.StatusCode, Header: seedheader.Expand(response.Headers), Body: response.Body, CreatedAt: response.CreatedAt, ExpiresAt: response.ExpiresAt}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = now
	}
	if r.ExpiresAt.IsZero() {
		r.ExpiresAt = now.Add(s.ttl)
	}
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	sh.set(h, key, &r, wall, mono)
	evs := sh.takeEvicted()
	sh.mu.Unlock()
	s.report(evs)
}

// set is Set under the shard lock.
func (sh *shard) set(h uint32, key string, r *Record, wall, mono int64) {
	if sh.closed {
		return
	}
	if old, ok := sh.get(h, key); ok {
		sh.remove(old)
	}
	sh.header = sh.encodeHeader(sh.header[:0], r.Header)
	n := recordLen(key, "", sh.header, r.Body)
	if unixNano(r.ExpiresAt) <= wall || n > maxRecordLen || !sh.makeRoom(int64(slabLen(n))+entryCharge, 1, wall, mono) {
		return
	}
	id := sh.newEntry(h)
	m := sh.metas.at(id)
	m.status = int32(min(max(r.Status, math.MinInt32), math.MaxInt32))
	m.state, m.aux, m.deadline = stateDone, unixNano(r.CreatedAt), unixNano(r.ExpiresAt)
	writeRecord(sh, id, m, key, "", sh.header, r.Body)
	sh.ix.put(h, id)
	sh.track(id)
	sh.sweep(wall, mono, 2)
}

// Delete removes a cached response
//
// It forgets the key whatever it holds, so an in-flight claim on it is
// dropped too and its owner's Complete then fails with ErrNotOwner.
func (s *MemoryStore) Delete(key string) {
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	if id, ok := sh.get(h, key); ok {
		sh.remove(id)
	}
	sh.mu.Unlock()
}

// Lock acquires a processing lock
//
// It claims the key for the store's TTL without handing out a token. It
// reports false when the key is claimed or locked, when it already holds
// an unexpired response (call Get first), and when a bounded store is full
// or the store is closed.
func (s *MemoryStore) Lock(key string) bool {
	_, wall, mono := s.now()
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	c, _, err := sh.claim(h, key, "", stateLocked, int64(s.ttl), wall, mono)
	evs := sh.takeEvicted()
	sh.mu.Unlock()
	s.report(evs)
	return err == nil && c.State == Acquired
}

// Unlock releases the lock for a key
//
// It releases only a lock taken by Lock; a record stored by Set in the
// meantime and a claim made through Claim stay as they are.
func (s *MemoryStore) Unlock(key string) {
	sh, h := s.shardFor(key)
	sh.mu.Lock()
	if id, ok := sh.get(h, key); ok && sh.metas.at(id).state == stateLocked {
		sh.remove(id)
	}
	sh.mu.Unlock()
}
