package main

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// ledger implements the generated ServerInterface. It knows nothing about
// idempotency: retries are answered by the wrappers in idempotency.gen.go
// before they reach it.
type ledger struct {
	mu       sync.Mutex
	payments map[openapi_types.UUID]*Payment
}

func newLedger() *ledger {
	return &ledger{payments: map[openapi_types.UUID]*Payment{}}
}

// newHandler serves the API with every x-idempotent operation wrapped.
func newHandler(store idempotency.ClaimStore) http.Handler {
	return HandlerFromMux(NewIdempotentServer(newLedger(), store), http.NewServeMux())
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
	p := &Payment{Id: newID(), Amount: in.Amount, Currency: in.Currency, Created: time.Now().UTC()}
	l.mu.Lock()
	l.payments[p.Id] = p
	out := *p
	l.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (l *ledger) GetPayment(w http.ResponseWriter, r *http.Request, id PaymentID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payments[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (l *ledger) RefundPayment(w http.ResponseWriter, r *http.Request, id PaymentID) {
	var in NewRefund
	if !decode(w, r, &in) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payments[id]
	switch {
	case !ok:
		http.NotFound(w, r)
	case in.Amount < 1 || p.Refunded+in.Amount > p.Amount:
		http.Error(w, "refund exceeds what is left of the payment", http.StatusConflict)
	default:
		p.Refunded += in.Amount
		writeJSON(w, http.StatusCreated, Refund{Id: newID(), Payment: id, Amount: in.Amount})
	}
}

func (l *ledger) AddNote(w http.ResponseWriter, r *http.Request, id PaymentID) {
	var in Note
	if !decode(w, r, &in) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p, ok := l.payments[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	notes := append(deref(p.Notes), in.Text)
	p.Notes = &notes
	writeJSON(w, http.StatusOK, p)
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
