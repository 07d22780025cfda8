// Package idemslog writes the events of idempotency middlewares to a
// log/slog Logger, one record per event.
//
//	obs := idemslog.New(slog.Default())
//	mw := idempotency.New(store, idempotency.WithObserver(obs))
//
// To feed Prometheus as well, call both from one function given to
// WithObserver.
//
// Each record's message is "idempotency: " and the outcome's name, and its
// attributes are operation (the operationId, absent on an eviction),
// outcome, status (when one is known), elapsed (since the middleware
// received the request; an evicted record's age) and error (when the
// event carries one). The client's key is left out unless [WithKey] asks
// for it, and the request's path always is. Put the attributes in a group
// of their own with l.WithGroup("idempotency"). The record's context is
// the request's, so a handler that reads trace IDs from it finds them.
//
// # Levels
//
//	Error  store_error, ownership_lost, abandoned, fail_open;
//	       not_stored whose key could not be released
//	Warn   mismatch, expired_takeover, evicted, not_stored;
//	       completed whose body the store refused (its replay is empty)
//	Info   completed, replayed, no_key, conflict, key_missing, key_invalid,
//	       body_too_large, body_unreadable
//	Debug  acquired, renewed
//
// [WithLevel] changes one outcome's level. A record whose level the
// logger does not enable costs one Enabled call and no allocation.
package idemslog
