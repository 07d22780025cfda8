package idemprom_test

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestScriptedRequests sends a first request, its replay, a conflict, a
// mismatch, a missing key and a 5xx through a real middleware and store,
// and checks every series exactly.
func TestScriptedRequests(t *testing.T) {
	m := idemprom.New()
	store := m.WrapStore(idempotency.NewMemoryStore(time.Hour))
	p := newPayments()
	h := idempotency.New(store,
		idempotency.WithOperation("createPayment"),
		idempotency.WithKeyRequired(true),
		idempotency.WithObserver(m.Observe),
	).Handler(p)

	want := func(code, got int, what string) {
		t.Helper()
		if got != code {
			t.Fatalf("%s: status %d, want %d", what, got, code)
		}
	}
	want(201, post(t, h, "/payments", "k1", `{"amount":1}`), "first request")
	want(201, post(t, h, "/payments", "k1", `{"amount":1}`), "replay")

	done := make(chan int)
	go func() { done <- post(t, h, "/payments", "k2", `{"amount":2}`, "X-Block", "1") }()
	<-p.entered
	want(409, post(t, h, "/payments", "k2", `{"amount":2}`), "same key in flight")
	close(p.release)
	want(201, <-done, "the blocked first request")

	want(422, post(t, h, "/payments", "k1", `{"amount":99}`), "key reused for another body")
	want(400, post(t, h, "/payments", "", `{"amount":1}`), "no key")
	want(500, post(t, h, "/payments", "k3", `{"amount":3}`, "X-Fail", "1"), "handler 500")

	const counters = `
# HELP idempotency_requests_total Requests the idempotency middleware guarded, by operation, final outcome and status class.
# TYPE idempotency_requests_total counter
idempotency_requests_total{operation="createPayment",outcome="completed",status_class="2xx"} 2
idempotency_requests_total{operation="createPayment",outcome="conflict",status_class="4xx"} 1
idempotency_requests_total{operation="createPayment",outcome="key_missing",status_class="4xx"} 1
idempotency_requests_total{operation="createPayment",outcome="mismatch",status_class="4xx"} 1
idempotency_requests_total{operation="createPayment",outcome="not_stored",status_class="5xx"} 1
idempotency_requests_total{operation="createPayment",outcome="replayed",status_class="2xx"} 1
# HELP idempotency_store_call_errors_total Failed calls of a store wrapped with WrapStore (ErrNotOwner is an answer, not counted).
# TYPE idempotency_store_call_errors_total counter
idempotency_store_call_errors_total{call="abandon"} 0
idempotency_store_call_errors_total{call="claim"} 0
idempotency_store_call_errors_total{call="complete"} 0
idempotency_store_call_errors_total{call="renew"} 0
# HELP idempotency_evictions_total Completed records a bounded store evicted before their expiry: a retry with such a key runs again.
# TYPE idempotency_evictions_total counter
idempotency_evictions_total 0
`
	// The other counters must have no series at all: nothing was taken
	// over, renewed, lost or refused.
	if err := testutil.CollectAndCompare(m, strings.NewReader(counters),
		"idempotency_requests_total", "idempotency_store_call_errors_total",
		"idempotency_lease_renewals_total", "idempotency_leases_lost_total", "idempotency_takeovers_total",
		"idempotency_store_errors_total", "idempotency_store_full_total", "idempotency_evictions_total",
	); err != nil {
		t.Fatal(err)
	}

	durations := histogramCounts(t, m, "idempotency_request_duration_seconds")
	wantDur := map[string]uint64{
		"createPayment,completed": 2, "createPayment,conflict": 1, "createPayment,key_missing": 1,
		"createPayment,mismatch": 1, "createPayment,not_stored": 1, "createPayment,replayed": 1,
	}
	if !maps.Equal(durations, wantDur) {
		t.Fatalf("request duration counts %v, want %v", durations, wantDur)
	}
	// Claims: k1 three times, k2 twice, k3 once; the key_missing never
	// reaches the store.
	calls := histogramCounts(t, m, "idempotency_store_call_duration_seconds")
	wantCalls := map[string]uint64{"claim": 6, "complete": 2, "abandon": 1, "renew": 0}
	if !maps.Equal(calls, wantCalls) {
		t.Fatalf("store call counts %v, want %v", calls, wantCalls)
	}
}

// TestLeaseAndStoreEvents feeds the events a request's run reports besides
// its final outcome, which a real store only produces with a crashed or
// paused process, and checks where each is counted.
func TestLeaseAndStoreEvents(t *testing.T) {
	m := idemprom.New()
	op := "refundPayment"
	ev := func(o idempotency.Outcome, status int, err error) idempotency.Event {
		return idempotency.Event{Outcome: o, Operation: op, Status: status, Err: err, Key: "secret-key", Elapsed: time.Millisecond}
	}
	full := fmt.Errorf("claim: %w", idempotency.ErrStoreFull)
	for _, e := range []idempotency.Event{
		ev(idempotency.OutcomeExpiredTakeover, 0, nil),
		ev(idempotency.OutcomeRenewed, 0, nil),
		ev(idempotency.OutcomeRenewed, 0, nil),
		ev(idempotency.OutcomeStoreError, 0, errors.New("redis: i/o timeout")), // a renewal failed
		ev(idempotency.OutcomeOwnershipLost, 0, idempotency.ErrLeaseLost),      // ... for a whole lease
		ev(idempotency.OutcomeOwnershipLost, 0, idempotency.ErrNotOwner),       // a renewal refused
		ev(idempotency.OutcomeOwnershipLost, 201, idempotency.ErrNotOwner),     // its Complete refused
		ev(idempotency.OutcomeStoreError, 503, full),                           // a claim on a full store
		ev(idempotency.OutcomeFailOpen, 0, errors.New("down")),
		ev(idempotency.OutcomeAbandoned, 0, nil),
		ev(idempotency.OutcomeNotStored, 500, errors.New("abandon failed")),
		ev(idempotency.OutcomeCompleted, 201, fmt.Errorf("complete: %w", idempotency.ErrStoreFull)),
		ev(idempotency.OutcomeAcquired, 0, nil),
		{Outcome: idempotency.OutcomeEvicted, Key: "store-key", Status: 201},
		{Outcome: idempotency.Outcome(200), Operation: op}, // unknown: ignored
	} {
		m.Observe(e)
	}
	const want = `
# HELP idempotency_requests_total Requests the idempotency middleware guarded, by operation, final outcome and status class.
# TYPE idempotency_requests_total counter
idempotency_requests_total{operation="refundPayment",outcome="abandoned",status_class="unknown"} 1
idempotency_requests_total{operation="refundPayment",outcome="completed",status_class="2xx"} 1
idempotency_requests_total{operation="refundPayment",outcome="fail_open",status_class="unknown"} 1
idempotency_requests_total{operation="refundPayment",outcome="not_stored",status_class="5xx"} 1
idempotency_requests_total{operation="refundPayment",outcome="ownership_lost",status_class="2xx"} 1
idempotency_requests_total{operation="refundPayment",outcome="store_error",status_class="5xx"} 1
# HELP idempotency_lease_renewals_total Lease renewals while a handler ran: ok, error (the store failed) or refused (the key was taken over).
# TYPE idempotency_lease_renewals_total counter
idempotency_lease_renewals_total{operation="refundPayment",result="error"} 1
idempotency_lease_renewals_total{operation="refundPayment",result="ok"} 2
idempotency_lease_renewals_total{operation="refundPayment",result="refused"} 1
# HELP idempotency_leases_lost_total Running handlers whose lease was lost (taken over, or no renewal got through for a whole lease); their context was cancelled.
# TYPE idempotency_leases_lost_total counter
idempotency_leases_lost_total{operation="refundPayment"} 2
# HELP idempotency_takeovers_total Keys claimed from an owner whose lease had expired (most likely a crashed process).
# TYPE idempotency_takeovers_total counter
idempotency_takeovers_total{operation="refundPayment"} 1
# HELP idempotency_store_errors_total Events reporting a failed store call: store_error, fail_open, and a release that failed after not_stored or abandoned.
# TYPE idempotency_store_errors_total counter
idempotency_store_errors_total{operation="refundPayment"} 4
# HELP idempotency_store_full_total Store refusals for lack of room (ErrStoreFull): a 503, a fail_open, or a response stored without its body.
# TYPE idempotency_store_full_total counter
idempotency_store_full_total{operation="refundPayment"} 2
# HELP idempotency_evictions_total Completed records a bounded store evicted before their expiry: a retry with such a key runs again.
# TYPE idempotency_evictions_total counter
idempotency_evictions_total 1
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want),
		"idempotency_requests_total", "idempotency_lease_renewals_total", "idempotency_leases_lost_total",
		"idempotency_takeovers_total", "idempotency_store_errors_total", "idempotency_store_full_total",
		"idempotency_evictions_total",
	); err != nil {
		t.Fatal(err)
	}
}

// TestRenewalThroughMiddleware checks the renewer's events on a real
// store: a handler that outlives a third of its lease is renewed, and the
// request still counts once.
func TestRenewalThroughMiddleware(t *testing.T) {
	m := idemprom.New()
	h := idempotency.New(idempotency.NewMemoryStore(time.Hour),
		idempotency.WithOperation("slow"),
		idempotency.WithLease(30*time.Millisecond),
		idempotency.WithObserver(m.Observe),
	).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(60 * time.Millisecond)
		w.WriteHeader(http.StatusAccepted)
	}))
	if got := post(t, h, "/slow", "k", ""); got != http.StatusAccepted {
		t.Fatalf("status %d", got)
	}
	if n := counterValues(t, m, "idempotency_lease_renewals_total")["slow,ok"]; n < 1 {
		t.Fatalf("renewals ok = %v, want at least 1 for a 60ms handler on a 30ms lease", n)
	}
	const want = `
# HELP idempotency_requests_total Requests the idempotency middleware guarded, by operation, final outcome and status class.
# TYPE idempotency_requests_total counter
idempotency_requests_total{operation="slow",outcome="completed",status_class="2xx"} 1
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "idempotency_requests_total", "idempotency_leases_lost_total"); err != nil {
		t.Fatal(err)
	}
}
