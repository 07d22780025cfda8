package mysqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
)

type txKey struct{}

// TxFromContext returns the transaction that [Store.BeginTx] opened for
// the request, for the handler's own writes: a handler of an operation
// built with idempotency.WithTransaction finds it in r.Context(). Its
// writes commit together with the stored response, or not at all. The
// handler must neither commit nor roll it back: the middleware does.
func TxFromContext(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	return tx, ok
}

// BeginTx opens a transaction for the owner of key (token) and returns ctx
// carrying it ([TxFromContext]). It writes and locks nothing of the key's
// row: another request may still take an expired claim over while the
// handler runs, and [idempotency.Tx.Commit] then refuses to commit.
func (s *Store) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	if s.err != nil {
		return ctx, nil, s.err
	}
	var tx *sql.Tx
	err := retry(ctx, func(bool) error {
		var err error
		// database/sql rolls a transaction back as soon as the context
		// given to BeginTx is done. The request's context ends when the
		// client goes away or the lease is lost, but the middleware must
		// still end the transaction itself, with Commit or Rollback, and
		// a rollback behind its back would make Commit fail with
		// sql.ErrTxDone instead of ErrNotOwner or success. The
		// transaction's statements still take the caller's contexts.
		tx, err = s.db.BeginTx(context.WithoutCancel(ctx), nil)
		return err
	})
	if err != nil {
		return ctx, nil, fmt.Errorf("mysqlstore: BeginTx %q: %w", key, err)
	}
	return context.WithValue(ctx, txKey{}, tx), &storeTx{s: s, tx: tx, key: key, token: token}, nil
}

// storeTx is the [idempotency.Tx] of BeginTx. The middleware calls it from
// one goroutine; it is not safe for concurrent use.
type storeTx struct {
	s          *Store
	tx         *sql.Tx
	key, token string
	// done is set once the transaction has ended, committed or not.
	done bool
}

var errTxEnded = errors.New("transaction already ended")

// Commit stores rec in the transaction with the UPDATE that Complete runs
// (only while the token owns the in-flight claim) and commits it with the
// handler's writes. The UPDATE locks the key's row until the commit, so a
// takeover racing it waits and then finds the completed record.
func (t *storeTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	if t.done {
		return fmt.Errorf("mysqlstore: Commit %q: %w", t.key, errTxEnded)
	}
	if rec == nil {
		return fmt.Errorf("mysqlstore: Commit %q: nil record", t.key)
	}
	header := headercodec.Encode(rec.Header)
	// Refused before anything is sent, the transaction stays open for a
	// second Commit without the body.
	if err := t.s.fits(ctx, len(header)+len(rec.Body)+len(rec.Fingerprint)); err != nil {
		return fmt.Errorf("mysqlstore: Commit %q: %w", t.key, err)
	}
	if err := t.complete(ctx, header, rec); err != nil {
		t.end()
		return wrap("Commit", t.key, err)
	}
	return wrap("Commit", t.key, t.commit(ctx))
}

// complete runs Complete's UPDATE in the transaction, through the pool's
// prepared statement (already prepared on most connections, so no extra
// round trip). It is not retried: a broken connection took the handler's
// writes with it.
func (t *storeTx) complete(ctx context.Context, header []byte, rec *idempotency.Record) error {
	st, err := t.s.stmt(ctx, t.s.q.complete)
	if err != nil {
		return err
	}
	fp := []byte(rec.Fingerprint)
	res, err := t.tx.StmtContext(ctx, st).ExecContext(ctx, int32(rec.Status), header, rec.Body, rec.BodyOmitted,
		fp, fp, unixMicro(rec.CreatedAt), unixMicro(rec.ExpiresAt), t.s.ttl.Microseconds(), []byte(t.key), []byte(t.token))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n != 1 {
		err = idempotency.ErrNotOwner
	}
	return err
}

// commit ends the transaction with COMMIT. When the COMMIT's reply is
// lost (the connection broke), the server may have committed or not; the
// completed row, with this token, says which.
func (t *storeTx) commit(ctx context.Context) error {
	t.done = true
	err := t.tx.Commit()
	if err == nil || !retryable(err) {
		return err
	}
	var committed bool
	if cerr := retry(ctx, func(bool) error {
		var err error
		committed, err = t.s.count(ctx, t.s.q.completedBy, []byte(t.key), []byte(t.token))
		return err
	}); cerr != nil {
		return errors.Join(err, cerr)
	}
	if committed {
		return nil
	}
	return err
}

// end rolls back after a failed Commit; the failure is what Commit
// reports.
func (t *storeTx) end() {
	t.done = true
	_ = t.tx.Rollback()
}

// Rollback discards the transaction and the handler's writes; the claim
// stays the middleware's to abandon. After Commit (or a failed Commit) it
// does nothing.
func (t *storeTx) Rollback(context.Context) error {
	if t.done {
		return nil
	}
	t.done = true
	if err := t.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("mysqlstore: Rollback %q: %w", t.key, err)
	}
	return nil
}

var _ idempotency.TxStore = (*Store)(nil)
