// Package idemotel reports what an [idempotency.Middleware] does to
// OpenTelemetry: metrics through a meter provider, and events and
// attributes on the request's current span. It is an observer, so the
// middleware itself keeps the standard library only:
//
//	obs, err := idemotel.New() // otel.GetMeterProvider() unless WithMeterProvider
//	if err != nil {
//		return err
//	}
//	store := obs.WrapStore(idempotency.NewMemoryStore(24 * time.Hour))
//	m := idempotency.New(store,
//		idempotency.WithOperation("createPayment"),
//		idempotency.WithObserver(obs.Observe))
//
// [Observer.WrapStore] is optional: it times the store's calls. Without
// the observer the middleware does no work for telemetry at all.
//
// # Metrics
//
//	Instrument                       Kind       Unit        Attributes
//	idempotency.requests             counter    {request}   idempotency.operation, idempotency.outcome, idempotency.status_class
//	idempotency.request.duration     histogram  s           idempotency.operation, idempotency.outcome, idempotency.status_class
//	idempotency.lease.renewals       counter    {renewal}   idempotency.operation
//	idempotency.takeovers            counter    {takeover}  idempotency.operation
//	idempotency.store.errors         counter    {error}     idempotency.operation
//	idempotency.evictions            counter    {record}    (none)
//	idempotency.store.call.duration  histogram  s           idempotency.store.call, error.type (failed calls only)
//
// A request reports one terminal outcome, and only that one is counted in
// idempotency.requests and timed in idempotency.request.duration (from
// the middleware receiving the request). The terminal outcomes are
// replayed, conflict, mismatch, key_missing, key_invalid, no_key,
// body_too_large, body_unreadable, completed, not_stored, abandoned,
// fail_open, and store_error and ownership_lost when they carry a status.
// A request that runs its handler first reports acquired or
// expired_takeover, and its lease renewer may report renewed, store_error
// or ownership_lost without a status while the handler runs; those are not
// terminal (the request goes on and ends with an outcome of its own).
//
// idempotency.status_class is "1xx" to "5xx" ("_OTHER" for a status
// outside 100-599), and absent when the event carries no status (no_key,
// fail_open and abandoned: the middleware did not see the answer).
// idempotency.takeovers counts expired_takeover; idempotency.lease.renewals
// counts renewed; idempotency.store.errors counts every store failure the
// middleware saw (store_error, fail_open, and not_stored or abandoned
// whose release of the key failed), renewals included. idempotency.evictions
// counts evicted, which only a MemoryStore reports: pass Observe to
// MemoryOptions.OnEvict too.
//
// idempotency.store.call is claim, complete, abandon, renew, begin_tx,
// commit or rollback; error.type is not_owner (the fencing refusal, not a
// failure of the store), store_full, record_too_large, timeout (a deadline
// exceeded) or _OTHER.
//
// The attributes are bounded by construction: the operation (the
// [idempotency.WithOperation] name, else the route), the outcome and the
// status class, never the key, the caller or the path. A middleware built
// without WithOperation or WithRoute names its operation "METHOD /path",
// IDs included; so that such names cannot grow the series without bound,
// the observer keeps at most [DefaultMaxOperations] operation names
// ([WithMaxOperations]) and reports any further one as "_OTHER".
//
// # Spans
//
// When the request's context carries a recording span (an otelhttp
// handler or a framework's tracing middleware outside the idempotency
// middleware), every outcome adds a span event named
// "idempotency.<outcome>" (idempotency.acquired, idempotency.completed…)
// with idempotency.operation and, when known, http.response.status_code.
// The terminal outcome also sets the span attributes idempotency.outcome
// and idempotency.replayed, and a takeover sets idempotency.taken_over.
// Store failures and lost ownership are recorded as errors on the span
// (span.RecordError); only a terminal store_error sets the span's status
// to Error, since the service failed that request. A 409, 422 or 400 is
// the client's doing and leaves the status alone. The key appears only
// with [WithKey](true), as idempotency.key.
package idemotel
