package idempotency

// storeCopiesBody reports whether store's Complete copies the body it is
// given before it returns, as MemoryStore does into its byte slabs: the
// middleware then lends it the recorder's own buffer, which a later
// request reuses, instead of a clone (one allocation less per stored
// response). Only the MemoryStore itself is trusted with that, not a type
// that embeds or wraps it: such a store may keep the records it is given.
func storeCopiesBody(store ClaimStore) bool {
	_, ok := store.(*MemoryStore)
	return ok
}
