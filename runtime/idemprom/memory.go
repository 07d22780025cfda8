package idemprom

import (
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	memEntries = prometheus.NewDesc("idempotency_memory_store_entries",
		"Keys a MemoryStore holds, completed and in flight.", nil, nil)
	memInFlight = prometheus.NewDesc("idempotency_memory_store_in_flight",
		"Keys a MemoryStore holds under a live claim.", nil, nil)
	memBytes = prometheus.NewDesc("idempotency_memory_store_bytes",
		"Memory a MemoryStore charges against MaxBytes (an estimate somewhat above the live heap).", nil, nil)
	memEvictions = prometheus.NewDesc("idempotency_memory_store_evictions_total",
		"Completed records a MemoryStore evicted before their expiry to make room.", nil, nil)
	memExpired = prometheus.NewDesc("idempotency_memory_store_expired_total",
		"Expired records and stale claims a MemoryStore reclaimed.", nil, nil)
)

// memoryCollector reads a MemoryStore's Stats at each scrape.
type memoryCollector struct{ s *idempotency.MemoryStore }

// NewMemoryStoreCollector returns a collector of s's MemoryStats, read at
// each scrape: entries, in_flight and bytes as gauges, evictions and
// expired as counters. Register one per store; for two stores in one
// registry, register each through prometheus.WrapRegistererWith with a
// label telling them apart.
//
// MemoryStats counts no refusals: idempotency_store_full_total, which
// [Metrics] counts from the events, is the number of requests a full store
// refused.
func NewMemoryStoreCollector(s *idempotency.MemoryStore) prometheus.Collector {
	return memoryCollector{s}
}

func (memoryCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range [...]*prometheus.Desc{memEntries, memInFlight, memBytes, memEvictions, memExpired} {
		ch <- d
	}
}

func (c memoryCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.s.Stats()
	ch <- prometheus.MustNewConstMetric(memEntries, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(memInFlight, prometheus.GaugeValue, float64(st.InFlight))
	ch <- prometheus.MustNewConstMetric(memBytes, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(memEvictions, prometheus.CounterValue, float64(st.Evictions))
	ch <- prometheus.MustNewConstMetric(memExpired, prometheus.CounterValue, float64(st.Expired))
}
