package main

import (
	"context"
	"errors"

	"github.com/idemgen/idemgen/runtime/pgstore"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgBook keeps the payments in a PostgreSQL table, created at start in the
// connection's default schema. Each write goes through the transaction
// the store opened for the request when the operation is transactional
// (pgstore.TxFromContext), and commits on its own otherwise.
type pgBook struct{ pool *pgxpool.Pool }

const pgPayments = `CREATE TABLE IF NOT EXISTS payments (
    id              uuid PRIMARY KEY,
    amount          bigint NOT NULL,
    currency        text NOT NULL,
    refunded        bigint NOT NULL DEFAULT 0,
    notes           text[] NOT NULL DEFAULT '{}',
    created         timestamptz NOT NULL,
    idempotency_key text,
    fence           bigint
)`

func newPgBook(ctx context.Context, pool *pgxpool.Pool) (*pgBook, error) {
	if _, err := pool.Exec(ctx, pgPayments); err != nil {
		return nil, err
	}
	return &pgBook{pool}, nil
}

// db is the request's transaction, if the middleware opened one.
// pgDB is what pgx.Tx and the pool share that the book uses.
type pgDB interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

func (b *pgBook) db(ctx context.Context) pgDB {
	if tx, ok := pgstore.TxFromContext(ctx); ok {
		return tx
	}
	return b.pool
}

func (b *pgBook) create(ctx context.Context, p *Payment, key string, fence uint64) error {
	_, err := b.db(ctx).Exec(ctx,
		`INSERT INTO payments (id, amount, currency, created, idempotency_key, fence) VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6)`,
		p.Id, p.Amount, p.Currency, p.Created, key, int64(fence))
	return err
}

func (b *pgBook) get(ctx context.Context, id PaymentID) (*Payment, error) {
	var p Payment
	var notes []string
	err := b.db(ctx).QueryRow(ctx, `SELECT id, amount, currency, refunded, notes, created FROM payments WHERE id = $1`, id).
		Scan(&p.Id, &p.Amount, &p.Currency, &p.Refunded, &notes, &p.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errNoPayment
	}
	if len(notes) > 0 {
		p.Notes = &notes
	}
	return &p, err
}

func (b *pgBook) refund(ctx context.Context, id PaymentID, amount int64) error {
	tag, err := b.db(ctx).Exec(ctx,
		`UPDATE payments SET refunded = refunded + $2 WHERE id = $1 AND $2 >= 1 AND refunded + $2 <= amount`, id, amount)
	if err != nil || tag.RowsAffected() == 1 {
		return err
	}
	if _, err := b.get(ctx, id); err != nil {
		return err
	}
	return errOverRefund
}

func (b *pgBook) addNote(ctx context.Context, id PaymentID, text string) (*Payment, error) {
	tag, err := b.db(ctx).Exec(ctx, `UPDATE payments SET notes = array_append(notes, $2) WHERE id = $1`, id, text)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		return nil, errNoPayment
	}
	return b.get(ctx, id)
}
