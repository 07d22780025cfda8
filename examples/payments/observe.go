package main

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/idemgen/idemgen/runtime/idemslog"
)

// observed is what an operator sees of the idempotency layer: its
// Prometheus series on a registry of the example's own, and one slog record
// per outcome.
type observed struct {
	reg     *prometheus.Registry
	metrics *idemprom.Metrics
	log     func(idempotency.Event)
}

func newObserved(logger *slog.Logger) *observed {
	o := &observed{reg: prometheus.NewRegistry(), metrics: idemprom.New(), log: idemslog.New(logger)}
	o.reg.MustRegister(o.metrics)
	return o
}

// store wraps s so that its calls are timed, and exports a MemoryStore's
// entries and bytes.
func (o *observed) store(s idempotency.ClaimStore) idempotency.ClaimStore {
	if ms, ok := s.(*idempotency.MemoryStore); ok {
		o.reg.MustRegister(idemprom.NewMemoryStoreCollector(ms))
	}
	return o.metrics.WrapStore(s)
}

// observe is the middleware's observer: the metrics, then the log.
func (o *observed) observe(ev idempotency.Event) {
	o.metrics.Observe(ev)
	o.log(ev)
}

// handler serves /metrics in Prometheus's text format.
func (o *observed) handler() http.Handler {
	return promhttp.HandlerFor(o.reg, promhttp.HandlerOpts{})
}

// withMetrics serves /metrics beside api, on the API's listener.
func (o *observed) withMetrics(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", o.handler())
	mux.Handle("/", api)
	return mux
}

// withObserver is the middleware option that feeds o.
func withObserver(o *observed) idempotency.Option { return idempotency.WithObserver(o.observe) }
