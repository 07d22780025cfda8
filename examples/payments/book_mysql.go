package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/idemgen/idemgen/runtime/mysqlstore"
)

// mysqlBook keeps the payments in a MariaDB table, created at start in the
// DSN's database, through the request's transaction when the operation is
// transactional (mysqlstore.TxFromContext), and on its own otherwise.
type mysqlBook struct{ db *sql.DB }

const mysqlPayments = `CREATE TABLE IF NOT EXISTS payments (
    id              CHAR(36) PRIMARY KEY,
    amount          BIGINT NOT NULL,
    currency        VARCHAR(16) NOT NULL,
    refunded        BIGINT NOT NULL DEFAULT 0,
    notes           JSON NOT NULL DEFAULT (JSON_ARRAY()),
    created         DATETIME(6) NOT NULL,
    idempotency_key VARCHAR(255),
    fence           BIGINT UNSIGNED
)`

func newMySQLBook(ctx context.Context, db *sql.DB) (*mysqlBook, error) {
	if _, err := db.ExecContext(ctx, mysqlPayments); err != nil {
		return nil, err
	}
	return &mysqlBook{db}, nil
}

func (b *mysqlBook) conn(ctx context.Context) interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
	QueryRowContext(context.Context, string, ...any) *sql.Row
} {
	if tx, ok := mysqlstore.TxFromContext(ctx); ok {
		return tx
	}
	return b.db
}

func (b *mysqlBook) create(ctx context.Context, p *Payment, key string, fence uint64) error {
	_, err := b.conn(ctx).ExecContext(ctx,
		`INSERT INTO payments (id, amount, currency, created, idempotency_key, fence) VALUES (?, ?, ?, ?, NULLIF(?, ''), ?)`,
		p.Id.String(), p.Amount, p.Currency, p.Created.UTC().Format("2006-01-02 15:04:05.999999"), key, fence)
	return err
}

func (b *mysqlBook) get(ctx context.Context, id PaymentID) (*Payment, error) {
	var p Payment
	var sid, created, notes string
	err := b.conn(ctx).QueryRowContext(ctx,
		`SELECT id, amount, currency, refunded, notes, DATE_FORMAT(created, '%Y-%m-%dT%H:%i:%s.%fZ') FROM payments WHERE id = ?`, id.String()).
		Scan(&sid, &p.Amount, &p.Currency, &p.Refunded, &notes, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoPayment
	}
	if err != nil {
		return nil, err
	}
	if err := p.Id.UnmarshalText([]byte(sid)); err != nil {
		return nil, err
	}
	if err := p.Created.UnmarshalText([]byte(created)); err != nil {
		return nil, err
	}
	var ns []string
	if err := json.Unmarshal([]byte(notes), &ns); err != nil {
		return nil, err
	}
	if len(ns) > 0 {
		p.Notes = &ns
	}
	return &p, nil
}

func (b *mysqlBook) refund(ctx context.Context, id PaymentID, amount int64) error {
	res, err := b.conn(ctx).ExecContext(ctx,
		`UPDATE payments SET refunded = refunded + ? WHERE id = ? AND ? >= 1 AND refunded + ? <= amount`, amount, id.String(), amount, amount)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	if _, err := b.get(ctx, id); err != nil {
		return err
	}
	return errOverRefund
}

func (b *mysqlBook) addNote(ctx context.Context, id PaymentID, text string) (*Payment, error) {
	res, err := b.conn(ctx).ExecContext(ctx, `UPDATE payments SET notes = JSON_ARRAY_APPEND(notes, '$', ?) WHERE id = ?`, text, id.String())
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errNoPayment
	}
	return b.get(ctx, id)
}
