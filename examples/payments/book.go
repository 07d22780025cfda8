package main

import (
	"context"
	"errors"
	"sync"
)

// book is where the payments are kept: a map in memory, or a payments
// table in the database the store uses, where a transactional operation
// writes in the transaction the middleware commits with its key.
type book interface {
	// create keeps p, made under the request's idempotency key and fence.
	create(ctx context.Context, p *Payment, key string, fence uint64) error
	get(ctx context.Context, id PaymentID) (*Payment, error)
	// refund adds amount to what was refunded of payment id.
	refund(ctx context.Context, id PaymentID, amount int64) error
	addNote(ctx context.Context, id PaymentID, text string) (*Payment, error)
}

var (
	errNoPayment  = errors.New("no such payment")
	errOverRefund = errors.New("refund exceeds what is left of the payment")
)

// memBook keeps the payments of one process.
type memBook struct {
	mu       sync.Mutex
	payments map[PaymentID]*Payment
}

func newMemBook() *memBook { return &memBook{payments: map[PaymentID]*Payment{}} }

func (b *memBook) create(_ context.Context, p *Payment, _ string, _ uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c := *p
	b.payments[p.Id] = &c
	return nil
}

func (b *memBook) get(_ context.Context, id PaymentID) (*Payment, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.payments[id]
	if !ok {
		return nil, errNoPayment
	}
	c := *p
	if p.Notes != nil {
		notes := append([]string(nil), *p.Notes...)
		c.Notes = &notes
	}
	return &c, nil
}

func (b *memBook) refund(_ context.Context, id PaymentID, amount int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, ok := b.payments[id]
	switch {
	case !ok:
		return errNoPayment
	case amount < 1 || p.Refunded+amount > p.Amount:
		return errOverRefund
	}
	p.Refunded += amount
	return nil
}

func (b *memBook) addNote(ctx context.Context, id PaymentID, text string) (*Payment, error) {
	b.mu.Lock()
	p, ok := b.payments[id]
	if ok {
		notes := append(deref(p.Notes), text)
		p.Notes = &notes
	}
	b.mu.Unlock()
	if !ok {
		return nil, errNoPayment
	}
	return b.get(ctx, id)
}
