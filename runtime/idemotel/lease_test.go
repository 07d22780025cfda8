package idemotel_test

import (
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestRenewalsAndTakeover runs a handler whose lease renewals fail until
// its lease lapses and a retry takes the key over. The renewer's store
// errors and its ownership_lost (no status) count as store errors but not
// as requests; the two requests end as completed (the retry) and
// ownership_lost (the first, whose Complete is refused).
func TestRenewalsAndTakeover(t *testing.T) {
	obs, reader := newObserver(t)
	store := &faultyStore{ClaimStore: idempotency.NewMemoryStore(time.Hour)}
	tl := newTally(obs.Observe)
	lapsed := make(chan struct{}, 1)
	tl.on = func(ev idempotency.Event) {
		if ev.Outcome == idempotency.OutcomeOwnershipLost && ev.Status == 0 {
			select {
			case lapsed <- struct{}{}:
			default:
			}
		}
	}
	const lease = 30 * time.Millisecond
	h := newScripted()
	srv := idempotency.New(store, idempotency.WithOperation(op), idempotency.WithLease(lease),
		idempotency.WithObserver(tl.observe)).Handler(h)

	done := make(chan int)
	go func() { done <- send(srv, "k", "block") }()
	<-h.entered
	// Let a few renewals through, then fail them until the lease lapses.
	deadline := time.Now().Add(5 * time.Second)
	for tl.count("renewed") < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	store.failRenew.Store(true)
	<-lapsed
	time.Sleep(lease) // the store's lease, from the last good renewal, is over too
	h.entered = make(chan struct{}, 1)
	second := make(chan int)
	go func() { second <- send(srv, "k", "block") }()
	select {
	case <-h.entered:
	case code := <-second:
		t.Fatalf("retry after the lease lapsed: status %d, want a takeover", code)
	}
	h.release <- struct{}{} // one of the two handlers returns
	h.release <- struct{}{} // and the other
	a, b := <-done, <-second
	if a != http.StatusCreated || b != http.StatusCreated {
		t.Fatalf("statuses %d and %d, want 201 twice", a, b)
	}

	got := collect(t, reader)
	opOnly := attribute.NewSet(attribute.String("idempotency.operation", op))
	metricdatatest.AssertEqual(t, counter("idempotency.requests", "{request}",
		point(1, outcomeAttrs("completed", "2xx")),
		point(1, outcomeAttrs("ownership_lost", "2xx")),
	), withoutDescription(got["idempotency.requests"]), metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertEqual(t, counter("idempotency.takeovers", "{takeover}", point(1, opOnly)),
		withoutDescription(got["idempotency.takeovers"]), metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertEqual(t, counter("idempotency.lease.renewals", "{renewal}",
		point(int64(tl.count("renewed")), opOnly)),
		withoutDescription(got["idempotency.lease.renewals"]), metricdatatest.IgnoreTimestamp())
	if n := tl.count("store_error"); n == 0 {
		t.Fatal("no renewal failed: the test did not test anything")
	}
	metricdatatest.AssertEqual(t, counter("idempotency.store.errors", "{error}",
		point(int64(tl.count("store_error")), opOnly)),
		withoutDescription(got["idempotency.store.errors"]), metricdatatest.IgnoreTimestamp())
	if n := tl.count("ownership_lost"); n < 2 {
		t.Errorf("%d ownership_lost events, want the renewer's and the refused Complete's", n)
	}
	if _, ok := got["idempotency.evictions"]; ok && dataPoints(map[string]metricdata.Metrics{"e": got["idempotency.evictions"]}) > 0 {
		t.Error("evictions reported without an eviction")
	}
}

// TestEvictions counts a bounded MemoryStore's evictions, reported to the
// same observer through MemoryOptions.OnEvict, without attributes.
func TestEvictions(t *testing.T) {
	obs, reader := newObserver(t)
	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{
		TTL: time.Hour, MaxEntries: 1, Shards: 1, OnEvict: obs.Observe,
	})
	srv := idempotency.New(store, idempotency.WithOperation(op), idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	for _, k := range []string{"a", "b", "c"} {
		if got := send(srv, k, "{}"); got != http.StatusCreated {
			t.Fatalf("key %s: status %d", k, got)
		}
	}
	got := collect(t, reader)
	metricdatatest.AssertEqual(t, counter("idempotency.evictions", "{record}", point(2, *attribute.EmptySet())),
		withoutDescription(got["idempotency.evictions"]), metricdatatest.IgnoreTimestamp())
}
