package idemotel_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/idemgen/idemgen/runtime/idemotel"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// attrValues lists every attribute value of every data point.
func attrValues(ms map[string]metricdata.Metrics) []string {
	var vals []string
	add := func(s attribute.Set) {
		for _, kv := range s.ToSlice() {
			vals = append(vals, kv.Value.Emit())
		}
	}
	for _, m := range ms {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				add(dp.Attributes)
			}
		case metricdata.Histogram[float64]:
			for _, dp := range d.DataPoints {
				add(dp.Attributes)
			}
		}
	}
	return vals
}

// TestDistinctKeysAddNoSeries sends 10,000 requests with distinct keys:
// the series are those of the first request, and no attribute holds a key.
func TestDistinctKeysAddNoSeries(t *testing.T) {
	obs, reader := newObserver(t)
	srv := idempotency.New(obs.WrapStore(idempotency.NewMemoryStore(time.Hour)),
		idempotency.WithOperation(op), idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	key := func(i int) string { return "key-" + strconv.Itoa(i) }
	if got := send(srv, key(0), "{}"); got != http.StatusCreated {
		t.Fatalf("status %d", got)
	}
	first := dataPoints(collect(t, reader))
	if first != 4 { // requests, request.duration, claim, complete
		t.Errorf("%d data points after one request, want 4", first)
	}
	for i := 1; i < 10_000; i++ {
		if got := send(srv, key(i), "{}"); got != http.StatusCreated {
			t.Fatalf("request %d: status %d", i, got)
		}
	}
	ms := collect(t, reader)
	if n := dataPoints(ms); n != first {
		t.Errorf("%d data points after 10,000 keys, want %d", n, first)
	}
	for _, v := range attrValues(ms) {
		if strings.HasPrefix(v, "key-") {
			t.Errorf("a key is an attribute value: %q", v)
		}
	}
	req := ms["idempotency.requests"].Data.(metricdata.Sum[int64])
	if len(req.DataPoints) != 1 || req.DataPoints[0].Value != 10_000 {
		t.Errorf("requests: %+v, want one point of 10000", req.DataPoints)
	}
}

// TestOperationNamesBounded sends requests to 10,000 paths through a
// middleware without WithOperation, whose operation is then "POST /path":
// the first names keep their series and the rest share "_OTHER".
func TestOperationNamesBounded(t *testing.T) {
	const max = 10
	obs, reader := newObserver(t, idemotel.WithMaxOperations(max))
	srv := idempotency.New(idempotency.NewMemoryStore(time.Hour),
		idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	for i := range 10_000 {
		path := "/payments/" + strconv.Itoa(i)
		if got := sendCtx(context.Background(), srv, path, "k", "{}"); got != http.StatusCreated {
			t.Fatalf("%s: status %d", path, got)
		}
	}
	req := collect(t, reader)["idempotency.requests"].Data.(metricdata.Sum[int64])
	if len(req.DataPoints) != max+1 {
		t.Fatalf("%d series, want %d names and _OTHER", len(req.DataPoints), max)
	}
	named := map[string]int64{}
	for _, dp := range req.DataPoints {
		v, _ := dp.Attributes.Value("idempotency.operation")
		named[v.AsString()] = dp.Value
	}
	if named["_OTHER"] != 10_000-max {
		t.Errorf("_OTHER counted %d requests, want %d", named["_OTHER"], 10_000-max)
	}
	for i := range max {
		if n := named["POST /payments/"+strconv.Itoa(i)]; n != 1 {
			t.Errorf("POST /payments/%d counted %d, want 1", i, n)
		}
	}
}
