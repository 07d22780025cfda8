// Package idemprom exports the events of idempotency middlewares as
// Prometheus metrics (github.com/prometheus/client_golang). It is a
// package of its own so that only the programs that import it depend on
// client_golang.
//
//	m := idemprom.New()
//	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 100_000, OnEvict: m.Observe})
//	mw := idempotency.New(m.WrapStore(store), idempotency.WithObserver(m.Observe))
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(m, idemprom.NewMemoryStoreCollector(store))
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Nothing is registered for the caller: [Metrics] is a
// prometheus.Collector, registered where the caller chooses (for constant
// labels, through prometheus.WrapRegistererWith).
//
// # Series
//
//	idempotency_requests_total{operation,outcome,status_class}   counter: guarded requests by final outcome
//	idempotency_request_duration_seconds{operation,outcome}      histogram: receipt to final outcome
//	idempotency_lease_renewals_total{operation,result}           counter: result ok, error or refused
//	idempotency_leases_lost_total{operation}                     counter: running handlers whose lease was lost
//	idempotency_takeovers_total{operation}                       counter: keys taken from an expired owner
//	idempotency_store_errors_total{operation}                    counter: events reporting a failed store call
//	idempotency_store_full_total{operation}                      counter: refusals for lack of room (ErrStoreFull)
//	idempotency_evictions_total                                  counter: records evicted early (OnEvict)
//	idempotency_store_call_duration_seconds{call}                histogram: WrapStore's calls
//	idempotency_store_call_errors_total{call}                    counter: WrapStore's failed calls
//	idempotency_memory_store_entries, _in_flight, _bytes         gauges: NewMemoryStoreCollector
//	idempotency_memory_store_evictions_total, _expired_total     counters: NewMemoryStoreCollector
//
// A request that runs its handler reports two events, how it got the key
// (acquired, expired_takeover) and how it ended; one that does not
// reports only its end. idempotency_requests_total counts ends, so it
// counts each guarded request once: two identical keyed POSTs give
// completed 1 and replayed 1. The ends are replayed, conflict, mismatch,
// key_missing, key_invalid, no_key, body_too_large, body_unreadable,
// completed, not_stored, abandoned, fail_open, and store_error and
// ownership_lost when they carry a status; without one they come from
// the lease renewer of a request still running, and count in
// idempotency_lease_renewals_total (a renewal's store_error is result
// error, an ownership_lost with ErrNotOwner is result refused) and
// idempotency_leases_lost_total. Acquired is not counted: it is
// requests_total's completed, not_stored, abandoned and ownership_lost
// together.
//
// status_class is 1xx to 5xx, or unknown where the middleware wrote no
// response and saw none: no_key and fail_open (the handler ran unguarded)
// and abandoned (the handler panicked).
//
// # Labels are bounded
//
// No label carries a key, a caller or a path. operation is the event's
// Operation: the operationId in generated code, the WithOperation or
// WithRoute name otherwise. Only a middleware given neither names it
// "METHOD /path" after each request's path; so that such a name cannot
// grow the series without end, a Metrics keeps [DefaultMaxOperations]
// distinct names ([WithMaxOperations]) and counts the rest under
// operation="other". A name that is not valid UTF-8 has its bad bytes
// replaced. outcome, status_class, result and call take the fixed values
// above.
//
// # Cost
//
// Series appear when first counted. Once an operation's exist, Observe
// allocates nothing and takes one atomic load per series it updates: the
// middleware allocates as much with Metrics installed (and its store
// wrapped) as without, which TestNoAllocationAdded checks and
// BenchmarkMiddleware measures beside the bare middleware. A middleware
// without any observer does not call this package at all.
//
// The MemoryStore's Stats have no count of refusals: idempotency_store_full_total,
// counted from the events, is that number.
package idemprom
