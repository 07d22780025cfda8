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

const op = "createPayment"

func outcomeAttrs(outcome, class string) attribute.Set {
	kvs := []attribute.KeyValue{
		attribute.String("idempotency.operation", op),
		attribute.String("idempotency.outcome", outcome),
	}
	if class != "" {
		kvs = append(kvs, attribute.String("idempotency.status_class", class))
	}
	return attribute.NewSet(kvs...)
}

// eq is the comparable form of an attribute set, for map keys.
func eq(s attribute.Set) attribute.Distinct { return s.Equivalent() }

func counter(name, unit string, points ...metricdata.DataPoint[int64]) metricdata.Metrics {
	return metricdata.Metrics{Name: name, Unit: unit, Data: metricdata.Sum[int64]{
		Temporality: metricdata.CumulativeTemporality, IsMonotonic: true, DataPoints: points,
	}}
}

func point(n int64, attrs attribute.Set) metricdata.DataPoint[int64] {
	return metricdata.DataPoint[int64]{Attributes: attrs, Value: n}
}

// checkHistogram compares a histogram's data points by attribute set and
// count only: its sums are measured durations.
func checkHistogram(t *testing.T, got metricdata.Metrics, unit string, want map[attribute.Distinct]uint64) {
	t.Helper()
	h, ok := got.Data.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("%s: data is %T, want a float64 histogram", got.Name, got.Data)
	}
	if got.Unit != unit {
		t.Errorf("%s: unit %q, want %q", got.Name, got.Unit, unit)
	}
	if len(h.DataPoints) != len(want) {
		t.Errorf("%s: %d data points, want %d", got.Name, len(h.DataPoints), len(want))
	}
	for _, dp := range h.DataPoints {
		n, ok := want[dp.Attributes.Equivalent()]
		if !ok {
			t.Errorf("%s: unexpected data point %v", got.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()))
			continue
		}
		if dp.Count != n {
			t.Errorf("%s %v: count %d, want %d", got.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Count, n)
		}
	}
}

// TestScriptedRequests sends one request of each kind through the
// middleware and checks every exported series exactly.
func TestScriptedRequests(t *testing.T) {
	obs, reader := newObserver(t)
	store := &faultyStore{ClaimStore: idempotency.NewMemoryStore(time.Hour)}
	h := newScripted()
	m := idempotency.New(obs.WrapStore(store),
		idempotency.WithOperation(op), idempotency.WithKeyRequired(true),
		idempotency.WithObserver(obs.Observe))
	srv := m.Handler(h)

	steps := []struct {
		name, key, body string
		want            int
	}{
		{"first request", "k1", `{"amount":1}`, http.StatusCreated},
		{"replay", "k1", `{"amount":1}`, http.StatusCreated},
		{"reused for another body", "k1", `{"amount":2}`, http.StatusUnprocessableEntity},
		{"missing key", "", `{"amount":1}`, http.StatusBadRequest},
		{"5xx not stored", "k3", "fail", http.StatusInternalServerError},
	}
	for _, s := range steps {
		if got := send(srv, s.key, s.body); got != s.want {
			t.Fatalf("%s: status %d, want %d", s.name, got, s.want)
		}
	}
	// A conflict: k2 in flight while a retry arrives.
	done := make(chan int)
	go func() { done <- send(srv, "k2", "block") }()
	<-h.entered
	if got := send(srv, "k2", "block"); got != http.StatusConflict {
		t.Fatalf("retry in flight: status %d, want 409", got)
	}
	close(h.release)
	if got := <-done; got != http.StatusCreated {
		t.Fatalf("blocked request: status %d, want 201", got)
	}
	store.failClaim.Store(true)
	if got := send(srv, "k4", `{"amount":4}`); got != http.StatusServiceUnavailable {
		t.Fatalf("store down: status %d, want 503", got)
	}

	got := collect(t, reader)
	opOnly := attribute.NewSet(attribute.String("idempotency.operation", op))
	metricdatatest.AssertEqual(t, counter("idempotency.requests", "{request}",
		point(2, outcomeAttrs("completed", "2xx")),
		point(1, outcomeAttrs("replayed", "2xx")),
		point(1, outcomeAttrs("mismatch", "4xx")),
		point(1, outcomeAttrs("key_missing", "4xx")),
		point(1, outcomeAttrs("not_stored", "5xx")),
		point(1, outcomeAttrs("conflict", "4xx")),
		point(1, outcomeAttrs("store_error", "5xx")),
	), withoutDescription(got["idempotency.requests"]), metricdatatest.IgnoreTimestamp())
	metricdatatest.AssertEqual(t, counter("idempotency.store.errors", "{error}", point(1, opOnly)),
		withoutDescription(got["idempotency.store.errors"]), metricdatatest.IgnoreTimestamp())
	checkHistogram(t, got["idempotency.request.duration"], "s", map[attribute.Distinct]uint64{
		eq(outcomeAttrs("completed", "2xx")):   2,
		eq(outcomeAttrs("replayed", "2xx")):    1,
		eq(outcomeAttrs("mismatch", "4xx")):    1,
		eq(outcomeAttrs("key_missing", "4xx")): 1,
		eq(outcomeAttrs("not_stored", "5xx")):  1,
		eq(outcomeAttrs("conflict", "4xx")):    1,
		eq(outcomeAttrs("store_error", "5xx")): 1,
	})
	// Claims: k1 three times, k3, k2 twice, k4 (failed); the missing key
	// never reaches the store. Completes: k1, k2. Abandons: k3 (the 500).
	call := func(name string, errType ...string) attribute.Distinct {
		kvs := []attribute.KeyValue{attribute.String("idempotency.store.call", name)}
		for _, e := range errType {
			kvs = append(kvs, attribute.String("error.type", e))
		}
		return eq(attribute.NewSet(kvs...))
	}
	checkHistogram(t, got["idempotency.store.call.duration"], "s", map[attribute.Distinct]uint64{
		call("claim"):           6,
		call("claim", "_OTHER"): 1,
		call("complete"):        2,
		call("abandon"):         1,
	})
	for _, name := range []string{"idempotency.lease.renewals", "idempotency.takeovers", "idempotency.evictions"} {
		if m, ok := got[name]; ok && dataPoints(map[string]metricdata.Metrics{name: m}) > 0 {
			t.Errorf("%s has data points, want none: %+v", name, m.Data)
		}
	}
}

// withoutDescription drops the description, which the expected values
// leave out: it is prose, not a contract.
func withoutDescription(m metricdata.Metrics) metricdata.Metrics {
	m.Description = ""
	return m
}
