package idemotel_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// txStore is a MemoryStore with transactions whose Commit is Complete.
type txStore struct {
	*idempotency.MemoryStore
	began int
}

type memTx struct {
	s          *txStore
	key, token string
}

func (s *txStore) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	s.began++
	return ctx, &memTx{s: s, key: key, token: token}, nil
}

func (tx *memTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	return tx.s.Complete(ctx, tx.key, tx.token, rec)
}

func (tx *memTx) Rollback(context.Context) error { return nil }

// TestWrapStoreKeepsTxStore checks that a wrapped TxStore is still one
// (WithTransaction would panic otherwise) and that its transaction's
// calls are timed, while a plain store does not become one.
func TestWrapStoreKeepsTxStore(t *testing.T) {
	obs, reader := newObserver(t)
	if _, ok := obs.WrapStore(idempotency.NewMemoryStore(time.Hour)).(idempotency.TxStore); ok {
		t.Error("a wrapped MemoryStore claims to be a TxStore")
	}
	inner := &txStore{MemoryStore: idempotency.NewMemoryStore(time.Hour)}
	wrapped := obs.WrapStore(inner)
	if _, ok := wrapped.(idempotency.TxStore); !ok {
		t.Fatal("a wrapped TxStore is no longer a TxStore")
	}
	if wrapped.TTL() != time.Hour {
		t.Errorf("TTL %v, want the inner store's", wrapped.TTL())
	}
	srv := idempotency.New(wrapped, idempotency.WithTransaction(true), idempotency.WithOperation(op),
		idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	for range 2 {
		if got := send(srv, "k", "{}"); got != http.StatusCreated {
			t.Fatalf("status %d", got)
		}
	}
	if inner.began != 1 {
		t.Errorf("BeginTx reached the inner store %d times, want 1", inner.began)
	}
	call := func(name string) attribute.Distinct {
		return eq(attribute.NewSet(attribute.String("idempotency.store.call", name)))
	}
	checkHistogram(t, collect(t, reader)["idempotency.store.call.duration"], "s", map[attribute.Distinct]uint64{
		call("claim"): 2, call("begin_tx"): 1, call("commit"): 1,
	})
}

// errStore fails every call with err.
type errStore struct {
	idempotency.ClaimStore
	err error
}

func (s errStore) Claim(context.Context, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, s.err
}

// TestStoreCallErrorTypes checks the bounded error.type of failed calls.
func TestStoreCallErrorTypes(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("redis: %w", idempotency.ErrStoreFull), "store_full"},
		{fmt.Errorf("put: %w", idempotency.ErrRecordTooLarge), "record_too_large"},
		{idempotency.ErrNotOwner, "not_owner"},
		{fmt.Errorf("dial: %w", context.DeadlineExceeded), "timeout"},
		{errStoreDown, "_OTHER"},
	}
	for _, c := range cases {
		obs, reader := newObserver(t)
		s := obs.WrapStore(errStore{ClaimStore: idempotency.NewMemoryStore(time.Hour), err: c.err})
		if _, err := s.Claim(context.Background(), "k", "fp", time.Second); err != c.err {
			t.Errorf("Claim returned %v, want the inner store's %v", err, c.err)
		}
		checkHistogram(t, collect(t, reader)["idempotency.store.call.duration"], "s", map[attribute.Distinct]uint64{
			eq(attribute.NewSet(attribute.String("idempotency.store.call", "claim"), attribute.String("error.type", c.want))): 1,
		})
	}
}
