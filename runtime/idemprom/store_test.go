package idemprom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// downStore fails every Claim with err.
type downStore struct {
	idempotency.ClaimStore
	err error
}

func (d downStore) Claim(context.Context, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, d.err
}

// TestStoreFailures: a store that fails answers 503; one that is full
// says so, and both are counted by the events and by the wrapper.
func TestStoreFailures(t *testing.T) {
	m := idemprom.New()
	mem := idempotency.NewMemoryStore(time.Hour)
	down := idempotency.New(m.WrapStore(downStore{mem, errors.New("dial tcp: refused")}),
		idempotency.WithOperation("createPayment"), idempotency.WithObserver(m.Observe)).Handler(newPayments())
	full := idempotency.New(m.WrapStore(downStore{mem, fmt.Errorf("shard 3: %w", idempotency.ErrStoreFull)}),
		idempotency.WithOperation("refundPayment"), idempotency.WithObserver(m.Observe)).Handler(newPayments())
	if c := post(t, down, "/payments", "k", "{}"); c != 503 {
		t.Fatalf("down store: %d", c)
	}
	if c := post(t, full, "/refunds", "k", "{}"); c != 503 {
		t.Fatalf("full store: %d", c)
	}
	const want = `
# HELP idempotency_requests_total Requests the idempotency middleware guarded, by operation, final outcome and status class.
# TYPE idempotency_requests_total counter
idempotency_requests_total{operation="createPayment",outcome="store_error",status_class="5xx"} 1
idempotency_requests_total{operation="refundPayment",outcome="store_error",status_class="5xx"} 1
# HELP idempotency_store_errors_total Events reporting a failed store call: store_error, fail_open, and a release that failed after not_stored or abandoned.
# TYPE idempotency_store_errors_total counter
idempotency_store_errors_total{operation="createPayment"} 1
idempotency_store_errors_total{operation="refundPayment"} 1
# HELP idempotency_store_full_total Store refusals for lack of room (ErrStoreFull): a 503, a fail_open, or a response stored without its body.
# TYPE idempotency_store_full_total counter
idempotency_store_full_total{operation="refundPayment"} 1
# HELP idempotency_store_call_errors_total Failed calls of a store wrapped with WrapStore (ErrNotOwner is an answer, not counted).
# TYPE idempotency_store_call_errors_total counter
idempotency_store_call_errors_total{call="abandon"} 0
idempotency_store_call_errors_total{call="claim"} 2
idempotency_store_call_errors_total{call="complete"} 0
idempotency_store_call_errors_total{call="renew"} 0
`
	if err := testutil.CollectAndCompare(m, strings.NewReader(want), "idempotency_requests_total",
		"idempotency_store_errors_total", "idempotency_store_full_total", "idempotency_store_call_errors_total"); err != nil {
		t.Fatal(err)
	}
}

// fakeTxStore is a TxStore whose transactions record what was called.
type fakeTxStore struct {
	idempotency.ClaimStore
	commits, rollbacks int
}

type fakeTx struct{ s *fakeTxStore }

func (s *fakeTxStore) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	return ctx, fakeTx{s}, nil
}
func (t fakeTx) Commit(context.Context, *idempotency.Record) error {
	t.s.commits++
	return idempotency.ErrNotOwner
}
func (t fakeTx) Rollback(context.Context) error { t.s.rollbacks++; return nil }

// TestWrapKeepsTxStore: the wrapper of a TxStore is one (so
// WithTransaction still builds), its transaction's calls reach the store
// and are timed, ErrNotOwner is not counted as a failure, and the wrapper
// of a plain ClaimStore is no TxStore.
func TestWrapKeepsTxStore(t *testing.T) {
	m := idemprom.New()
	if _, ok := m.WrapStore(idempotency.NewMemoryStore(time.Hour)).(idempotency.TxStore); ok {
		t.Fatal("the wrapper of a MemoryStore claims to open transactions")
	}
	inner := &fakeTxStore{ClaimStore: idempotency.NewMemoryStore(time.Hour)}
	w, ok := m.WrapStore(inner).(idempotency.TxStore)
	if !ok {
		t.Fatal("the wrapper of a TxStore is not one")
	}
	_, tx, err := w.BeginTx(context.Background(), "k", "tok")
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(context.Background(), &idempotency.Record{}); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Commit: %v", err)
	}
	tx.Rollback(context.Background())
	if inner.commits != 1 || inner.rollbacks != 1 {
		t.Fatalf("inner store saw %d commits and %d rollbacks", inner.commits, inner.rollbacks)
	}
	calls := histogramCounts(t, m, "idempotency_store_call_duration_seconds")
	if calls["begin_tx"] != 1 || calls["commit"] != 1 || calls["rollback"] != 1 || len(calls) != 7 {
		t.Fatalf("store calls %v", calls)
	}
	if errs := counterValues(t, m, "idempotency_store_call_errors_total"); errs["commit"] != 0 {
		t.Fatalf("ErrNotOwner counted as a store failure: %v", errs)
	}
}
