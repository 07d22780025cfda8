package idemprom_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestMemoryStoreCollector fills a store capped at 32 entries with 40
// completed keys and one claim in flight: its gauges are the store's
// Stats, and the evictions it reports through OnEvict are counted by
// Metrics to the same total.
func TestMemoryStoreCollector(t *testing.T) {
	m := idemprom.New()
	s := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 32, Shards: 1, OnEvict: m.Observe})
	h := idempotency.New(s, idempotency.WithObserver(m.Observe), idempotency.WithOperation("createPayment")).Handler(newPayments())
	for i := range 40 {
		post(t, h, "/payments", "k"+string(rune('A'+i)), "{}")
	}
	if _, err := s.Claim(context.Background(), "held", "fp", time.Minute); err != nil {
		t.Fatal(err)
	}
	c := idemprom.NewMemoryStoreCollector(s)
	st := s.Stats()
	if st.Evictions != 9 || st.Entries != 32 || st.InFlight != 1 {
		t.Fatalf("the store's own stats are not what the test expects: %+v", st)
	}
	want := `
# HELP idempotency_memory_store_bytes Memory a MemoryStore charges against MaxBytes (an estimate somewhat above the live heap).
# TYPE idempotency_memory_store_bytes gauge
idempotency_memory_store_bytes ` + strconv.FormatInt(st.Bytes, 10) + `
# HELP idempotency_memory_store_entries Keys a MemoryStore holds, completed and in flight.
# TYPE idempotency_memory_store_entries gauge
idempotency_memory_store_entries 32
# HELP idempotency_memory_store_in_flight Keys a MemoryStore holds under a live claim.
# TYPE idempotency_memory_store_in_flight gauge
idempotency_memory_store_in_flight 1
# HELP idempotency_memory_store_evictions_total Completed records a MemoryStore evicted before their expiry to make room.
# TYPE idempotency_memory_store_evictions_total counter
idempotency_memory_store_evictions_total 9
# HELP idempotency_memory_store_expired_total Expired records and stale claims a MemoryStore reclaimed.
# TYPE idempotency_memory_store_expired_total counter
idempotency_memory_store_expired_total 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"idempotency_memory_store_bytes", "idempotency_memory_store_entries", "idempotency_memory_store_in_flight",
		"idempotency_memory_store_evictions_total", "idempotency_memory_store_expired_total"); err != nil {
		t.Fatal(err)
	}
	if st.Bytes <= 0 {
		t.Fatalf("bytes = %d", st.Bytes)
	}
	if n := counterValues(t, m, "idempotency_evictions_total")[""]; n != 9 {
		t.Fatalf("idempotency_evictions_total = %v, want the store's 9", n)
	}
}
