package idempotency

// replayCache keeps the Records a shard decoded last, so that a key
// replayed again and again (a client retrying in a loop, many clients
// sharing a key) is decoded once rather than on every replay. It is
// direct-mapped by the key's hash bits and small, so the pointers it holds
// stay few however large the store grows; an entry's slot is cleared
// whenever its record is rewritten or removed.
type replayCache [replayCacheSlots]cachedRecord

const replayCacheSlots = 8

type cachedRecord struct {
	id  uint32
	rec *Record // read-only once handed out
}

// replay returns completed entry id as a Record, from the cache when it
// holds it.
func (sh *shard) replay(id uint32) *Record {
	m := sh.metas.at(id)
	if sh.cache == nil {
		sh.cache = new(replayCache)
	}
	slot := &sh.cache[m.hash%replayCacheSlots]
	if slot.rec != nil && slot.id == id {
		return slot.rec
	}
	rec := sh.decode(m)
	*slot = cachedRecord{id, rec}
	return rec
}

// forget drops entry id's Record from the cache.
func (sh *shard) forget(id uint32) {
	if sh.cache == nil {
		return
	}
	slot := &sh.cache[sh.metas.at(id).hash%replayCacheSlots]
	if slot.rec != nil && slot.id == id {
		*slot = cachedRecord{}
	}
}
