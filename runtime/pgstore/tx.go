package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

type txKey struct{}

// TxFromContext returns the transaction the middleware opened for a
// request of an operation built with idempotency.WithTransaction: the
// handler's writes made in it commit together with the stored response.
// It reports false outside such a request.
//
// The middleware ends the transaction: Commit and Rollback on it return an
// error and do nothing. Answer 5xx (or panic) to roll it back; use a
// savepoint (tx.Begin) to undo part of the work and still answer 2xx or 4xx.
func TxFromContext(ctx context.Context) (pgx.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(handlerTx)
	if !ok {
		return nil, false
	}
	return tx, true
}

// errHandlerEndsTx is what the handler's Commit and Rollback return: a
// handler that committed its writes before the key was completed would
// leave them without a stored response, and a retry would run them again.
var errHandlerEndsTx = errors.New("pgstore: the idempotency middleware commits or rolls back this transaction; answer 5xx to roll it back, or undo part of the work with a savepoint (tx.Begin)")

// handlerTx is the transaction as the handler sees it: everything but
// ending it.
type handlerTx struct{ pgx.Tx }

func (handlerTx) Commit(context.Context) error   { return errHandlerEndsTx }
func (handlerTx) Rollback(context.Context) error { return errHandlerEndsTx }

// BeginTx opens a transaction on the pool for token's claim of key and
// returns ctx carrying it for [TxFromContext]. It takes no lock on the
// key's row: until Commit, another request may still take the key over
// (when this one's lease lapses), and this transaction then cannot commit.
// ctx bounds only the BEGIN (pgx's Begin uses it for nothing else), so
// cancelling it later does not end the transaction; the middleware does.
func (s *Store) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	if s.err != nil {
		return ctx, nil, s.err
	}
	var tx pgx.Tx
	// A failed BEGIN has begun nothing (pgx closes a connection whose BEGIN
	// broke, and the server rolls back what a closed connection held), so
	// it is retried like any other statement.
	err := retry(ctx, func(bool) error {
		var err error
		tx, err = s.pool.Begin(ctx)
		return err
	})
	if err != nil {
		return ctx, nil, wrap("BeginTx", key, err)
	}
	return context.WithValue(ctx, txKey{}, handlerTx{tx}), &storeTx{s: s, key: key, token: token, tx: tx}, nil
}

// storeTx is the middleware's side of one transaction.
type storeTx struct {
	s          *Store
	key, token string
	tx         pgx.Tx
	ended      bool
}

// Commit completes the key with rec in the transaction, with the same
// token-fenced UPDATE as Complete, and commits. The UPDATE takes the row
// lock, so a takeover racing this commit waits for it and then finds the
// key completed (and replays); a takeover that got there first has changed
// the token, the UPDATE matches no row, and Commit rolls back and returns
// ErrNotOwner.
//
// A record too large for a row is refused with ErrRecordTooLarge before
// anything is sent; the transaction stays open, so Commit may be called
// again with the body omitted.
//
// A COMMIT whose reply is lost (the connection broke during it) may or may
// not have committed. Commit then asks on another connection whether the
// key holds this token's record, which it does only if the COMMIT took
// effect, and reports success if so. Otherwise it returns the error: the
// middleware then abandons the claim, which is refused if the commit did
// happen after all (the key is completed, and a retry replays) and frees
// the key if not (the server rolled back, and a retry runs once).
func (t *storeTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	if t.ended {
		return fmt.Errorf("pgstore: Commit %q: the transaction has ended", t.key)
	}
	if rec == nil {
		return fmt.Errorf("pgstore: Commit %q: nil record", t.key)
	}
	header := headercodec.Encode(rec.Header)
	if err := t.s.fits(t.key, rec, header); err != nil {
		return wrap("Commit", t.key, err)
	}
	t.ended = true
	tag, err := t.tx.Exec(ctx, t.s.q.complete, t.s.completeArgs(t.key, t.token, rec, header)...)
	if err == nil && tag.RowsAffected() != 1 {
		err = idempotency.ErrNotOwner
	}
	if err != nil {
		// The transaction may be aborted or its connection gone; either
		// way nothing of it may commit. A failed rollback has the same
		// outcome: pgx closes the connection and the server rolls back.
		_ = t.tx.Rollback(context.WithoutCancel(ctx))
		return wrap("Commit", t.key, err)
	}
	err = t.tx.Commit(ctx)
	if err == nil {
		return nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) || errors.Is(err, pgx.ErrTxCommitRollback) {
		return wrap("Commit", t.key, err) // the server answered: rolled back
	}
	var done bool
	qerr := retry(ctx, func(bool) error {
		return t.s.pool.QueryRow(ctx, t.s.q.completedBy, []byte(t.key), t.token).Scan(&done)
	})
	if qerr == nil && done {
		return nil
	}
	return wrap("Commit", t.key, errors.Join(err, qerr))
}

// Rollback discards the transaction; after Commit it does nothing.
func (t *storeTx) Rollback(ctx context.Context) error {
	if t.ended {
		return nil
	}
	t.ended = true
	return wrap("Rollback", t.key, t.tx.Rollback(ctx))
}
