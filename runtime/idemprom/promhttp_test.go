package idemprom_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// TestServedByPromhttp is the example's check: a real (pedantic) registry
// served by promhttp shows one replay after two identical keyed POSTs.
func TestServedByPromhttp(t *testing.T) {
	m := idemprom.New()
	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{OnEvict: m.Observe})
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(m, idemprom.NewMemoryStoreCollector(store))

	mux := http.NewServeMux()
	mux.Handle("POST /payments", idempotency.New(m.WrapStore(store),
		idempotency.WithOperation("createPayment"), idempotency.WithObserver(m.Observe)).Handler(newPayments()))
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.PanicOnError}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/payments", strings.NewReader(`{"amount":2000}`))
		req.Header.Set("Idempotency-Key", "order-4217")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{
		`idempotency_requests_total{operation="createPayment",outcome="replayed",status_class="2xx"} 1`,
		`idempotency_requests_total{operation="createPayment",outcome="completed",status_class="2xx"} 1`,
		`idempotency_memory_store_entries 1`,
		`idempotency_store_call_duration_seconds_count{call="claim"} 2`,
	} {
		if !strings.Contains(string(body), line+"\n") {
			t.Errorf("/metrics lacks %s:\n%s", line, body)
		}
	}
	if strings.Contains(string(body), "order-4217") {
		t.Error("/metrics shows the client's key")
	}
}
