package idempotency

// memoryStoreCopiesBody is to be set when MemoryStore.Complete copies the
// record's Body into its byte slabs before it returns: the middleware then
// hands it the recorder's own buffer instead of a clone, one allocation
// less per stored response. Until then MemoryStore keeps rec.Body as it
// is (see its Complete), and the buffer, which a later request reuses,
// must not be lent.
const memoryStoreCopiesBody = false

// storeCopiesBody reports whether store's Complete copies the body it is
// given. Only the MemoryStore itself is trusted with that, not a type
// that embeds it: such a wrapper may keep the records it is given.
func storeCopiesBody(store ClaimStore) bool {
	_, ok := store.(*MemoryStore)
	return ok && memoryStoreCopiesBody
}
