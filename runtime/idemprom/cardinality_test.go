package idemprom_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestDistinctKeysAddNoSeries sends 10,000 first requests with distinct
// keys, and as many replays: the series are those of the first two
// requests, since no label carries the key.
func TestDistinctKeysAddNoSeries(t *testing.T) {
	m := idemprom.New()
	h := idempotency.New(m.WrapStore(idempotency.NewMemoryStore(time.Hour)),
		idempotency.WithOperation("createPayment"), idempotency.WithObserver(m.Observe)).Handler(newPayments())
	post(t, h, "/payments", "k-0", "{}")
	post(t, h, "/payments", "k-0", "{}")
	before := testutil.CollectAndCount(m)
	for i := 1; i <= 10_000; i++ {
		k := "k-" + strconv.Itoa(i)
		post(t, h, "/payments/"+strconv.Itoa(i), k, "{}")
		post(t, h, "/payments/"+strconv.Itoa(i), k, "{}")
	}
	if after := testutil.CollectAndCount(m); after != before {
		t.Fatalf("%d series after 10,000 distinct keys, %d before", after, before)
	}
	if n := counterValues(t, m, "idempotency_requests_total")["createPayment,replayed,2xx"]; n != 10_001 {
		t.Fatalf("replayed = %v, want 10001", n)
	}
}

// TestOperationCap: a middleware with neither WithOperation nor WithRoute
// names the operation after the request's path; past the cap, those
// names fold into "other".
func TestOperationCap(t *testing.T) {
	m := idemprom.New(idemprom.WithMaxOperations(10))
	h := idempotency.New(idempotency.NewMemoryStore(time.Hour), idempotency.WithObserver(m.Observe)).Handler(newPayments())
	for i := range 10_000 {
		post(t, h, "/payments/"+strconv.Itoa(i), "k", "{}")
	}
	got := counterValues(t, m, "idempotency_requests_total")
	if len(got) != 11 {
		t.Fatalf("%d requests_total series, want 10 operations and other: %v", len(got), got)
	}
	if n := got["other,completed,2xx"]; n != 9_990 {
		t.Fatalf("other = %v, want 9990", n)
	}
	if n := got["POST /payments/0,completed,2xx"]; n != 1 {
		t.Fatalf("the first path's own series = %v, want 1", n)
	}
	if c := testutil.CollectAndCount(m, "idempotency_request_duration_seconds"); c != 11 {
		t.Fatalf("%d duration series, want 11", c)
	}
}

// TestInvalidUTF8Operation: a decoded path may hold bytes that are not
// UTF-8, which client_golang refuses as a label value (it panics).
func TestInvalidUTF8Operation(t *testing.T) {
	m := idemprom.New()
	m.Observe(idempotency.Event{Outcome: idempotency.OutcomeCompleted, Operation: "POST /p/\xff", Status: 201})
	got := counterValues(t, m, "idempotency_requests_total")
	if n := got["POST /p/\uFFFD,completed,2xx"]; n != 1 || len(got) != 1 {
		t.Fatalf("series %v", got)
	}
}

// TestEveryOutcomeClassified fails when the runtime gains an outcome that
// this package does not size for (and so has not classified).
func TestEveryOutcomeClassified(t *testing.T) {
	last := idempotency.OutcomeRenewed
	if s := (last + 1).String(); s != "unknown" {
		t.Fatalf("outcome %d (%s) is new: classify it in outcomes.go and move numOutcomes", last+1, s)
	}
	m := idemprom.New()
	for o := idempotency.Outcome(1); o <= last; o++ {
		m.Observe(idempotency.Event{Outcome: o, Operation: "op", Status: 200})
	}
	var names []string
	for k := range counterValues(t, m, "idempotency_requests_total") {
		names = append(names, strings.Split(k, ",")[1])
	}
	if len(names) != 14 {
		t.Fatalf("%d outcomes counted as a request's end, want 14: %v", len(names), names)
	}
}
