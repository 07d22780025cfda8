package idempotency

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// copyingStore copies every record's body in Complete, as a store that
// lends may be trusted to.
type copyingStore struct{ *MemoryStore }

func (s copyingStore) Complete(ctx context.Context, key, token string, rec *Record) error {
	r := *rec
	r.Body = bytes.Clone(rec.Body)
	clear(rec.Body) // the buffer is the middleware's again: nothing may read it later
	return s.MemoryStore.Complete(ctx, key, token, &r)
}

// A middleware that lends the recorder's buffer to a store that copies it
// still replays every response as it was sent, however the buffer is
// reused by the requests after it.
func TestLentBodyReplays(t *testing.T) {
	forced := New(copyingStore{NewMemoryStore(time.Hour)})
	forced.lend = true // a store that copies, as storeCopiesBody would trust it
	for name, m := range map[string]*Middleware{"MemoryStore": New(NewMemoryStore(time.Hour)), "copying wrapper": forced} {
		t.Run(name, func(t *testing.T) { checkLentReplays(t, m) })
	}
}

func checkLentReplays(t *testing.T, m *Middleware) {
	if !m.lend {
		t.Fatal("the middleware does not lend the buffer")
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte("body of " + r.Header.Get(HeaderIdempotencyKey)))
	}))
	for i := range 20 {
		serve(h, http.MethodPost, "/p", "k"+strconv.Itoa(i), "{}")
	}
	for i := range 20 {
		k := "k" + strconv.Itoa(i)
		w := serve(h, http.MethodPost, "/p", k, "{}")
		if got := w.Body.String(); got != "body of "+k || w.Header().Get(HeaderIdempotencyReplayed) != "true" {
			t.Fatalf("replay of %s: %q (replayed %q)", k, got, w.Header().Get(HeaderIdempotencyReplayed))
		}
	}
}

// Only a MemoryStore that copies is lent the buffer: not one that keeps
// the body it is given, and not a type that embeds one.
func TestLendsOnlyToACopyingStore(t *testing.T) {
	if !New(NewMemoryStore(time.Hour)).lend {
		t.Fatal("MemoryStore, which copies into its slabs, is not lent the buffer")
	}
	if New(copyingStore{NewMemoryStore(time.Hour)}).lend {
		t.Fatal("a wrapper of MemoryStore is lent the buffer")
	}
}
