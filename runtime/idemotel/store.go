package idemotel

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// WrapStore returns s with each call timed into
// idempotency.store.call.duration, by call and, for a failed one, by
// error.type. A store that implements idempotency.TxStore (pgstore,
// mysqlstore) stays one, so WithTransaction still accepts it; its
// transactions' Commit and Rollback are timed too.
//
// Wrap the store the middleware is given, not a seed store before
// AdaptStore: the middleware renews no lease for AdaptStore's own adapter,
// which it no longer recognises once wrapped (harmless: that adapter's
// Renew only checks ownership, but it is a timer per request for nothing).
func (o *Observer) WrapStore(s idempotency.ClaimStore) idempotency.ClaimStore {
	if s == nil {
		return nil
	}
	t := timedStore{s: s, o: o}
	if ts, ok := s.(idempotency.TxStore); ok {
		return &timedTxStore{timedStore: t, tx: ts}
	}
	return &t
}

// Store calls, as indexes into storeCallAttrs.
const (
	callClaim = iota
	callComplete
	callAbandon
	callRenew
	callBeginTx
	callCommit
	callRollback
	numCalls
)

var callNames = [numCalls]string{"claim", "complete", "abandon", "renew", "begin_tx", "commit", "rollback"}

// Error types, as indexes into storeCallAttrs; errOK has no error.type.
const (
	errOK = iota
	errNotOwner
	errStoreFull
	errTooLarge
	errTimeout
	errOther
	numErrTypes
)

var errTypeNames = [numErrTypes]string{"", "not_owner", "store_full", "record_too_large", "timeout", otherValue}

func errType(err error) int {
	switch {
	case err == nil:
		return errOK
	case errors.Is(err, idempotency.ErrNotOwner):
		return errNotOwner
	case errors.Is(err, idempotency.ErrStoreFull):
		return errStoreFull
	case errors.Is(err, idempotency.ErrRecordTooLarge):
		return errTooLarge
	case errors.Is(err, context.DeadlineExceeded):
		return errTimeout
	}
	return errOther
}

// storeCallAttrs holds every attribute set a store call can have, made
// once: there are few.
type storeCallAttrs [numCalls][numErrTypes]*measure

func newStoreCallAttrs() (a storeCallAttrs) {
	for c := range a {
		for e := range a[c] {
			kvs := []attribute.KeyValue{keyStoreCall.String(callNames[c])}
			if e != errOK {
				kvs = append(kvs, keyErrorType.String(errTypeNames[e]))
			}
			a[c][e] = newMeasure(kvs...)
		}
	}
	return a
}

// done records one call that started at start.
func (o *Observer) done(ctx context.Context, call int, start time.Time, err error) {
	o.storeCalls.Record(ctx, time.Since(start).Seconds(), o.calls[call][errType(err)].rec...)
}

// timedStore is WrapStore's wrapper of a plain ClaimStore.
type timedStore struct {
	s idempotency.ClaimStore
	o *Observer
}

func (t *timedStore) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Claim, error) {
	start := time.Now()
	cl, err := t.s.Claim(ctx, key, fingerprint, lease)
	t.o.done(ctx, callClaim, start, err)
	return cl, err
}

func (t *timedStore) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	start := time.Now()
	err := t.s.Complete(ctx, key, token, rec)
	t.o.done(ctx, callComplete, start, err)
	return err
}

func (t *timedStore) Abandon(ctx context.Context, key, token string) error {
	start := time.Now()
	err := t.s.Abandon(ctx, key, token)
	t.o.done(ctx, callAbandon, start, err)
	return err
}

func (t *timedStore) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	start := time.Now()
	err := t.s.Renew(ctx, key, token, lease)
	t.o.done(ctx, callRenew, start, err)
	return err
}

func (t *timedStore) TTL() time.Duration { return t.s.TTL() }

// timedTxStore is WrapStore's wrapper of a TxStore: a timedStore that
// also forwards BeginTx.
type timedTxStore struct {
	timedStore
	tx idempotency.TxStore
}

func (t *timedTxStore) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	start := time.Now()
	tctx, tx, err := t.tx.BeginTx(ctx, key, token)
	t.o.done(ctx, callBeginTx, start, err)
	if err != nil {
		return tctx, tx, err
	}
	return tctx, &timedTx{tx: tx, o: t.o}, nil
}

// timedTx times a transaction's end.
type timedTx struct {
	tx idempotency.Tx
	o  *Observer
}

func (t *timedTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	start := time.Now()
	err := t.tx.Commit(ctx, rec)
	t.o.done(ctx, callCommit, start, err)
	return err
}

func (t *timedTx) Rollback(ctx context.Context) error {
	start := time.Now()
	err := t.tx.Rollback(ctx)
	t.o.done(ctx, callRollback, start, err)
	return err
}
