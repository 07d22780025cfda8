package idemotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// ObserveMemoryStore reports s's size at each collection: the gauges
// idempotency.memory_store.entries, .in_flight and .bytes, and the
// counters idempotency.memory_store.evictions and .expired, read from
// s.Stats(). mp is the meter provider (nil: otel.GetMeterProvider()).
// Unregister the returned registration when s is closed.
func ObserveMemoryStore(mp metric.MeterProvider, s *idempotency.MemoryStore) (metric.Registration, error) {
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	meter := mp.Meter(scope)
	entries, e1 := meter.Int64ObservableGauge("idempotency.memory_store.entries", metric.WithUnit("{entry}"),
		metric.WithDescription("Keys the MemoryStore holds, completed and in flight."))
	inFlight, e2 := meter.Int64ObservableGauge("idempotency.memory_store.in_flight", metric.WithUnit("{entry}"),
		metric.WithDescription("Keys held by a running request."))
	bytes, e3 := meter.Int64ObservableGauge("idempotency.memory_store.bytes", metric.WithUnit("By"),
		metric.WithDescription("Memory charged against MemoryOptions.MaxBytes."))
	evictions, e4 := meter.Int64ObservableCounter("idempotency.memory_store.evictions", metric.WithUnit("{record}"),
		metric.WithDescription("Records removed before their expiry to make room; a retry with an evicted key runs again."))
	expired, e5 := meter.Int64ObservableCounter("idempotency.memory_store.expired", metric.WithUnit("{record}"),
		metric.WithDescription("Expired records and stale claims reclaimed."))
	if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := s.Stats()
		o.ObserveInt64(entries, int64(st.Entries))
		o.ObserveInt64(inFlight, int64(st.InFlight))
		o.ObserveInt64(bytes, st.Bytes)
		o.ObserveInt64(evictions, int64(st.Evictions))
		o.ObserveInt64(expired, int64(st.Expired))
		return nil
	}, entries, inFlight, bytes, evictions, expired)
}
