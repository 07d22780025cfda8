package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// After two identical keyed POSTs, /metrics on the API's listener counts
// one replay of createPayment, and the log has a record per outcome.
func TestMetricsAndLogs(t *testing.T) {
	st, err := openStore(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	var logs bytes.Buffer
	obs := newObserved(slog.New(slog.NewJSONHandler(&logs, nil)))
	srv := httptest.NewServer(obs.withMetrics(newHandler(obs.store(st.store), st.book, config{tx: true}, withObserver(obs))))
	defer srv.Close()

	for range 2 {
		send(t, srv.URL+"/payments", "metrics-1", `{"amount": 1000, "currency": "EUR"}`)
	}
	res, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`idempotency_requests_total{operation="createPayment",outcome="completed",status_class="2xx"} 1`,
		`idempotency_requests_total{operation="createPayment",outcome="replayed",status_class="2xx"} 1`,
		`idempotency_memory_store_entries 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics has no %s:\n%s", want, body)
		}
	}
	if strings.Contains(string(body), "metrics-1") {
		t.Error("/metrics shows the key")
	}
	for _, want := range []string{`"outcome":"completed"`, `"outcome":"replayed"`, `"operation":"createPayment"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log has no %s:\n%s", want, logs.String())
		}
	}
}
