package idemotel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/idemgen/idemgen/runtime/idemotel"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// The MemoryStore's gauges and counters are what its Stats say at each
// collection.
func TestObserveMemoryStore(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 4, TTL: time.Hour})
	defer s.Close()
	reg, err := idemotel.ObserveMemoryStore(mp, s)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Unregister()
	ctx := context.Background()
	for i := range 6 {
		key := fmt.Sprint("k", i)
		c, err := s.Claim(ctx, key, "fp", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 {
			if err := s.Complete(ctx, key, c.Token, &idempotency.Record{Status: 201, Body: []byte("ok")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	st := s.Stats()
	got := collect(t, reader)
	want := map[string]int64{
		"idempotency.memory_store.entries":   int64(st.Entries),
		"idempotency.memory_store.in_flight": int64(st.InFlight),
		"idempotency.memory_store.bytes":     st.Bytes,
		"idempotency.memory_store.evictions": int64(st.Evictions),
		"idempotency.memory_store.expired":   int64(st.Expired),
	}
	if st.Evictions == 0 || st.InFlight != 1 {
		t.Fatalf("Stats %+v: the script should have evicted and left one claim in flight", st)
	}
	for name, v := range want {
		var have int64
		switch d := got[name].Data.(type) {
		case metricdata.Gauge[int64]:
			if len(d.DataPoints) == 1 {
				have = d.DataPoints[0].Value
			}
		case metricdata.Sum[int64]:
			if len(d.DataPoints) == 1 {
				have = d.DataPoints[0].Value
			}
		default:
			t.Errorf("%s: %T, want one int64 point", name, got[name].Data)
			continue
		}
		if have != v {
			t.Errorf("%s = %d, want %d", name, have, v)
		}
	}
}
