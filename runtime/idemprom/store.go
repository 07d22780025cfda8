package idemprom

import (
	"context"
	"errors"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/prometheus/client_golang/prometheus"
)

// Store calls, the call label of the store-call series.
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

// callSeries is the resolved children for each call.
type callSeries struct {
	dur  [numCalls]prometheus.Observer
	errs [numCalls]prometheus.Counter
}

func (cs *callSeries) done(call int, start time.Time, err error) {
	cs.dur[call].Observe(time.Since(start).Seconds())
	// ErrNotOwner is the fencing doing its job: the outcome series count
	// it (ownership_lost, renewals refused), as no fault of the store.
	if err != nil && !errors.Is(err, idempotency.ErrNotOwner) {
		cs.errs[call].Inc()
	}
}

// WrapStore returns s with each Claim, Complete, Abandon and Renew timed
// into idempotency_store_call_duration_seconds{call} and its failures
// counted in idempotency_store_call_errors_total{call}; give the result to
// the middleware in place of s. When s is an idempotency.TxStore, so is
// the result, and BeginTx and its transaction's Commit and Rollback are
// timed too (call begin_tx, commit, rollback), so WithTransaction keeps
// working. The series of a wrapped store's calls are exported from the
// moment it is wrapped, at zero.
//
// Wrap the store itself, not idempotency.AdaptStore's adapter: the
// middleware would take the wrapper for a store with leases and renew
// them (a harmless ownership check, but counted).
func (m *Metrics) WrapStore(s idempotency.ClaimStore) idempotency.ClaimStore {
	cs := &callSeries{}
	n := callRenew + 1
	ts, tx := s.(idempotency.TxStore)
	if tx {
		n = numCalls
	}
	for i := range n {
		cs.dur[i] = m.storeCalls.WithLabelValues(callNames[i])
		cs.errs[i] = m.callErrors.WithLabelValues(callNames[i])
	}
	if tx {
		return &timedTxStore{timedStore{s, cs}, ts}
	}
	return &timedStore{s, cs}
}

type timedStore struct {
	s  idempotency.ClaimStore
	cs *callSeries
}

func (t *timedStore) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Claim, error) {
	start := time.Now()
	c, err := t.s.Claim(ctx, key, fingerprint, lease)
	t.cs.done(callClaim, start, err)
	return c, err
}

func (t *timedStore) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	start := time.Now()
	err := t.s.Complete(ctx, key, token, rec)
	t.cs.done(callComplete, start, err)
	return err
}

func (t *timedStore) Abandon(ctx context.Context, key, token string) error {
	start := time.Now()
	err := t.s.Abandon(ctx, key, token)
	t.cs.done(callAbandon, start, err)
	return err
}

func (t *timedStore) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	start := time.Now()
	err := t.s.Renew(ctx, key, token, lease)
	t.cs.done(callRenew, start, err)
	return err
}

func (t *timedStore) TTL() time.Duration { return t.s.TTL() }

// timedTxStore is a timedStore over a TxStore: a separate type, so that
// only a store that can open transactions looks like one.
type timedTxStore struct {
	timedStore
	tx idempotency.TxStore
}

func (t *timedTxStore) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	start := time.Now()
	ctx, tx, err := t.tx.BeginTx(ctx, key, token)
	t.cs.done(callBeginTx, start, err)
	if err != nil {
		return ctx, tx, err
	}
	return ctx, &timedTx{tx, t.cs}, nil
}

type timedTx struct {
	tx idempotency.Tx
	cs *callSeries
}

func (t *timedTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	start := time.Now()
	err := t.tx.Commit(ctx, rec)
	t.cs.done(callCommit, start, err)
	return err
}

func (t *timedTx) Rollback(ctx context.Context) error {
	start := time.Now()
	err := t.tx.Rollback(ctx)
	t.cs.done(callRollback, start, err)
	return err
}
