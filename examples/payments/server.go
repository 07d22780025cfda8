package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ledger implements the generated ServerInterface. It knows nothing about
// idempotency: retries are answered by the wrappers in idempotency.gen.go
// before they reach it. With a database store its payments are rows of a
// payments table, written in the transaction that completes the key.
type ledger struct {
	book  book
	delay time.Duration // waited after a payment is made, before the answer
}

// config is how the example serves, from its flags.
type config struct {
	// tx completes the keys of transactional operations (createPayment,
	// refundPayment) in the transaction that holds their writes, where the
	// store can; false commits each write on its own, to show the window.
	tx    bool
	delay time.Duration // -delay: a slow downstream call after the payment
	lease time.Duration // -lease: the claim's lease; 0 for the default
}

// newHandler serves the API with every x-idempotent operation wrapped;
// opts apply to every operation after those cfg sets.
func newHandler(store idempotency.ClaimStore, b book, cfg config, opts ...idempotency.Option) http.Handler {
	opts = slices.Clone(opts)
	if _, ok := store.(idempotency.TxStore); !ok || !cfg.tx {
		// The spec marks createPayment and refundPayment transaction:
		// true; without a transactional store, or with -tx=false, their
		// keys complete on their own.
		opts = append([]idempotency.Option{idempotency.WithTransaction(false)}, opts...)
	}
	if cfg.lease > 0 {
		opts = append([]idempotency.Option{idempotency.WithLease(cfg.lease)}, opts...)
	}
	return HandlerFromMux(NewIdempotentServer(&ledger{book: b, delay: cfg.delay}, store, opts...), http.NewServeMux())
}

func (l *ledger) CreatePayment(w http.ResponseWriter, r *http.Request) {
	var in NewPayment
	if !decode(w, r, &in) {
		return
	}
	if in.Amount < 1 || in.Currency == "" {
		http.Error(w, "amount must be positive and currency set", http.StatusBadRequest)
		return
	}
	p := &Payment{Id: newID(), Amount: in.Amount, Currency: in.Currency, Created: time.Now().UTC().Truncate(time.Microsecond)}
	// The key and its fence go into the row, for a downstream system (and
	// the fault tests) to tell which request made it.
	info, _ := idempotency.FromContext(r.Context())
	if err := l.book.create(r.Context(), p, info.Key, info.Fence); err != nil {
		http.Error(w, "recording the payment: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if !l.wait(r.Context()) {
		http.Error(w, "the payment's claim was lost: "+context.Cause(r.Context()).Error(), http.StatusServiceUnavailable)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

// wait is -delay: a slow downstream call. It stops when the request's
// context ends, as when the middleware lost the key's lease.
func (l *ledger) wait(ctx context.Context) bool {
	if l.delay <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(l.delay)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (l *ledger) GetPayment(w http.ResponseWriter, r *http.Request, id PaymentID) {
	p, err := l.book.get(r.Context(), id)
	if !answered(w, r, err) {
		writeJSON(w, http.StatusOK, p)
	}
}

func (l *ledger) RefundPayment(w http.ResponseWriter, r *http.Request, id PaymentID) {
	var in NewRefund
	if !decode(w, r, &in) {
		return
	}
	if answered(w, r, l.book.refund(r.Context(), id, in.Amount)) {
		return
	}
	writeJSON(w, http.StatusCreated, Refund{Id: newID(), Payment: id, Amount: in.Amount})
}

func (l *ledger) AddNote(w http.ResponseWriter, r *http.Request, id PaymentID) {
	var in Note
	if !decode(w, r, &in) {
		return
	}
	p, err := l.book.addNote(r.Context(), id, in.Text)
	if !answered(w, r, err) {
		writeJSON(w, http.StatusOK, p)
	}
}

// answered writes the answer for a book's error, if there is one.
func answered(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, errNoPayment):
		http.NotFound(w, r)
	case errors.Is(err, errOverRefund):
		http.Error(w, err.Error(), http.StatusConflict)
	default:
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
	return true
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		http.Error(w, "malformed JSON body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newID returns a random (version 4) UUID.
func newID() openapi_types.UUID {
	var id openapi_types.UUID
	_, _ = rand.Read(id[:])
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

func deref(s *[]string) []string {
	if s == nil {
		return nil
	}
	return *s
}
