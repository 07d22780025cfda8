package idempotency

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestFullStoreAnswersHonestly: a Claim refused because the store is full
// gets a 503 that says so, under the published code, with Retry-After.
func TestFullStoreAnswersHonestly(t *testing.T) {
	s := NewMemoryStoreWith(MemoryOptions{MaxEntries: 1})
	defer s.Close()
	if _, err := s.Claim(context.Background(), "running", "fp", time.Minute); err != nil {
		t.Fatal(err)
	}
	h := &countingHandler{}
	var ev events
	mw := NewMiddleware(s, WithObserver(ev.observe)).Handler(h)
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	p := wantProblem(t, w, http.StatusServiceUnavailable, CodeStoreUnavailable)
	if p.Title != "Idempotency store full" ||
		p.Detail != "The idempotency store has no room for this request right now; it was not processed. Retry later with the same key." {
		t.Fatalf("problem %+v, want one saying the store is full", p)
	}
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Fatalf("Retry-After = %q, want 1", ra)
	}
	if h.runs.Load() != 0 || ev.count(OutcomeStoreError) != 1 || !errors.Is(ev.got[0].Err, ErrStoreFull) {
		t.Fatalf("runs %d, events %+v; want no run and one store_error with ErrStoreFull", h.runs.Load(), ev.got)
	}
}

// TestUnreachableStoreRetryAfter: the ordinary 503 keeps its body (the
// published contract quotes it) and gains Retry-After.
func TestUnreachableStoreRetryAfter(t *testing.T) {
	fs := &faultyStore{ClaimStore: NewMemoryStore(time.Minute)}
	fs.failClaim.Store(true)
	w := serve(New(fs).Handler(&countingHandler{}), http.MethodPost, "/p", "k", "{}")
	p := wantProblem(t, w, http.StatusServiceUnavailable, CodeStoreUnavailable)
	if p.Title != "Idempotency store unavailable" ||
		p.Detail != "The idempotency store could not be reached; the request was not processed. Retry later with the same key." {
		t.Fatalf("problem %+v", p)
	}
	if ra := w.Header().Get("Retry-After"); ra != "1" {
		t.Fatalf("Retry-After = %q, want 1", ra)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", w.Header())
	}
}

// Problems other than 409 and 503 carry no Retry-After: retrying a 400 or
// a 422 unchanged can never succeed.
func TestRetryAfterOnlyWhereRetryHelps(t *testing.T) {
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithKeyRequired(true)).Handler(&countingHandler{})
	if w := serve(mw, http.MethodPost, "/p", "", "{}"); w.Code != http.StatusBadRequest || w.Header().Get("Retry-After") != "" {
		t.Fatalf("400: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	serve(mw, http.MethodPost, "/p", "k", `{"a":1}`)
	if w := serve(mw, http.MethodPost, "/p", "k", `{"a":2}`); w.Code != http.StatusUnprocessableEntity || w.Header().Get("Retry-After") != "" {
		t.Fatalf("422: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
}
