package idempotency

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// countingRenews counts Renew calls and can skip them, to let a lease lapse.
type countingRenews struct {
	*MemoryStore
	renews atomic.Int64
	skip   bool
}

func (s *countingRenews) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	s.renews.Add(1)
	if s.skip {
		return nil
	}
	return s.MemoryStore.Renew(ctx, key, token, lease)
}

func TestLeaseIsRenewedWhileHandlerRuns(t *testing.T) {
	store := &countingRenews{MemoryStore: NewMemoryStore(time.Minute)}
	b := newBlocking()
	var ev events
	mw := NewMiddleware(store, WithLease(150*time.Millisecond), WithObserver(ev.observe)).Handler(b)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(mw, http.MethodPost, "/p", "k", "{}") }()
	<-b.started
	time.Sleep(600 * time.Millisecond) // four leases
	// Still owned: a retry is a conflict, not a takeover.
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", "{}"), http.StatusConflict, CodeKeyInUse)
	close(b.release)
	<-done
	n := store.renews.Load()
	if n < 2 {
		t.Fatalf("%d renewals in 600ms at a 150ms lease", n)
	}
	time.Sleep(200 * time.Millisecond)
	if store.renews.Load() != n {
		t.Fatal("renewal went on after the handler returned")
	}
	if ev.has(OutcomeExpiredTakeover) {
		t.Fatalf("a live handler was taken over: %v", ev.outcomes())
	}
}

func TestTakeoverAndOwnershipLost(t *testing.T) {
	store := &countingRenews{MemoryStore: NewMemoryStore(time.Minute), skip: true}
	b := newBlocking()
	var ev events
	m := NewMiddleware(store, WithLease(30*time.Millisecond), WithObserver(ev.observe))
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(m.Handler(b), http.MethodPost, "/p", "k", "{}") }()
	<-b.started
	time.Sleep(80 * time.Millisecond) // the lease lapses: its renewals were dropped
	fast := &countingHandler{}
	if w := serve(m.Handler(fast), http.MethodPost, "/p", "k", "{}"); w.Code != http.StatusCreated || fast.runs.Load() != 1 {
		t.Fatalf("takeover request: %d", w.Code)
	}
	close(b.release)
	<-done
	if !ev.has(OutcomeExpiredTakeover) || !ev.has(OutcomeOwnershipLost) {
		t.Fatalf("events %v, want expired_takeover and ownership_lost", ev.outcomes())
	}
	for _, e := range ev.got {
		if e.Outcome == OutcomeOwnershipLost && !errors.Is(e.Err, ErrNotOwner) {
			t.Fatalf("ownership_lost without ErrNotOwner: %v", e.Err)
		}
	}
	// The successor's record stands.
	w := serve(m.Handler(fast), http.MethodPost, "/p", "k", "{}")
	if w.Body.String() != `{"run":1,"echo":"{}"}` {
		t.Fatalf("replay %q, want the successor's response", w.Body)
	}
}

func TestEveryOutcomeHasAName(t *testing.T) {
	seen := map[string]bool{}
	for o := OutcomeAcquired; o <= OutcomeFailOpen; o++ {
		s := o.String()
		if s == "unknown" || seen[s] {
			t.Fatalf("outcome %d: name %q", o, s)
		}
		seen[s] = true
	}
	if Outcome(0).String() != "unknown" || Outcome(200).String() != "unknown" {
		t.Fatal("out-of-range outcomes must say unknown")
	}
}

func TestEventFields(t *testing.T) {
	var ev events
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(&countingHandler{})
	serve(mw, http.MethodPost, "/p?q=1", `"k"`, "{}")
	e := ev.got[len(ev.got)-1]
	if e.Outcome != OutcomeCompleted || e.Method != http.MethodPost || e.Route != "POST /p" || e.Key != "k" || e.Status != http.StatusCreated || e.Elapsed <= 0 {
		t.Fatalf("event %+v", e)
	}
	mw2 := NewMiddleware(NewMemoryStore(time.Minute), WithRoute("POST /p/{id}"), WithObserver(ev.observe)).Handler(&countingHandler{})
	serve(mw2, http.MethodPost, "/p/1", "k", "{}")
	if e := ev.got[len(ev.got)-1]; e.Route != "POST /p/{id}" {
		t.Fatalf("route %q", e.Route)
	}
}
