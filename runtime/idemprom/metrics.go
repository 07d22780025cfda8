package idemprom

import (
	"errors"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts the events of idempotency middlewares. It is a
// prometheus.Collector: register it with the registry that serves
// /metrics, and give [Metrics.Observe] to idempotency.WithObserver (and to
// MemoryOptions.OnEvict). One Metrics may serve any number of middlewares.
type Metrics struct {
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	renewals    *prometheus.CounterVec
	leasesLost  *prometheus.CounterVec
	takeovers   *prometheus.CounterVec
	storeErrors *prometheus.CounterVec
	storeFull   *prometheus.CounterVec
	evictions   prometheus.Counter
	storeCalls  *prometheus.HistogramVec
	callErrors  *prometheus.CounterVec

	ops *operations
}

// New returns a Metrics with no series yet: each appears when its first
// event is counted.
func New(opts ...Option) *Metrics {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	op := []string{"operation"}
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_requests_total",
			Help: "Requests the idempotency middleware guarded, by operation, final outcome and status class.",
		}, []string{"operation", "outcome", "status_class"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idempotency_request_duration_seconds",
			Help:    "Time from the middleware receiving a guarded request to its final outcome.",
			Buckets: cfg.requestBuckets,
		}, []string{"operation", "outcome"}),
		renewals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_lease_renewals_total",
			Help: "Lease renewals while a handler ran: ok, error (the store failed) or refused (the key was taken over).",
		}, []string{"operation", "result"}),
		leasesLost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_leases_lost_total",
			Help: "Running handlers whose lease was lost (taken over, or no renewal got through for a whole lease); their context was cancelled.",
		}, op),
		takeovers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_takeovers_total",
			Help: "Keys claimed from an owner whose lease had expired (most likely a crashed process).",
		}, op),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_store_errors_total",
			Help: "Events reporting a failed store call: store_error, fail_open, and a release that failed after not_stored or abandoned.",
		}, op),
		storeFull: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_store_full_total",
			Help: "Store refusals for lack of room (ErrStoreFull): a 503, a fail_open, or a response stored without its body.",
		}, op),
		evictions: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "idempotency_evictions_total",
			Help: "Completed records a bounded store evicted before their expiry: a retry with such a key runs again.",
		}),
		storeCalls: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "idempotency_store_call_duration_seconds",
			Help:    "Latency of the calls of a store wrapped with WrapStore.",
			Buckets: cfg.storeBuckets,
		}, []string{"call"}),
		callErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "idempotency_store_call_errors_total",
			Help: "Failed calls of a store wrapped with WrapStore (ErrNotOwner is an answer, not counted).",
		}, []string{"call"}),
		ops: newOperations(cfg.maxOperations),
	}
}

func (m *Metrics) collectors() [10]prometheus.Collector {
	return [...]prometheus.Collector{m.requests, m.duration, m.renewals, m.leasesLost, m.takeovers,
		m.storeErrors, m.storeFull, m.evictions, m.storeCalls, m.callErrors}
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors() {
		c.Collect(ch)
	}
}

// Observe counts one event. Pass it to idempotency.WithObserver and
// MemoryOptions.OnEvict. Once an operation's series exist it allocates
// nothing, and it never panics on an event it does not know.
func (m *Metrics) Observe(ev idempotency.Event) {
	o := ev.Outcome
	switch {
	case o == 0 || int(o) >= numOutcomes, o == idempotency.OutcomeAcquired:
		return
	case o == idempotency.OutcomeEvicted:
		m.evictions.Inc()
		return
	}
	s := m.ops.get(ev.Operation)
	if errors.Is(ev.Err, idempotency.ErrStoreFull) {
		m.counter(&s.storeFull, m.storeFull, s.name).Inc()
	}
	if terminal(&ev) {
		m.request(s, &ev)
		return
	}
	switch o {
	case idempotency.OutcomeExpiredTakeover:
		m.counter(&s.takeovers, m.takeovers, s.name).Inc()
	case idempotency.OutcomeRenewed:
		m.renewal(s, renewOK)
	case idempotency.OutcomeStoreError: // a renewal failed
		m.renewal(s, renewError)
		m.counter(&s.storeErrors, m.storeErrors, s.name).Inc()
	case idempotency.OutcomeOwnershipLost: // the running handler lost its lease
		if errors.Is(ev.Err, idempotency.ErrNotOwner) {
			m.renewal(s, renewRefused)
		}
		m.counter(&s.leasesLost, m.leasesLost, s.name).Inc()
	}
}

// request counts a request's final outcome.
func (m *Metrics) request(s *opSeries, ev *idempotency.Event) {
	o, cls := ev.Outcome, statusClass(ev.Status)
	c, ok := s.requests[o][cls].load()
	if !ok {
		c = s.requests[o][cls].store(m.requests.WithLabelValues(s.name, o.String(), classNames[cls]))
	}
	c.Inc()
	h, ok := s.duration[o].load()
	if !ok {
		h = s.duration[o].store(m.duration.WithLabelValues(s.name, o.String()))
	}
	h.Observe(ev.Elapsed.Seconds())
	switch o {
	case idempotency.OutcomeStoreError, idempotency.OutcomeFailOpen:
		m.counter(&s.storeErrors, m.storeErrors, s.name).Inc()
	case idempotency.OutcomeNotStored, idempotency.OutcomeAbandoned:
		if ev.Err != nil { // releasing the key failed
			m.counter(&s.storeErrors, m.storeErrors, s.name).Inc()
		}
	}
}

func (m *Metrics) renewal(s *opSeries, result int) {
	c, ok := s.renewals[result].load()
	if !ok {
		c = s.renewals[result].store(m.renewals.WithLabelValues(s.name, renewNames[result]))
	}
	c.Inc()
}

// counter resolves an operation's child of a vector labelled by operation
// only.
func (m *Metrics) counter(c *cell[prometheus.Counter], vec *prometheus.CounterVec, op string) prometheus.Counter {
	if v, ok := c.load(); ok {
		return v
	}
	return c.store(vec.WithLabelValues(op))
}
