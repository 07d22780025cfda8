package idempotency_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// memTxStore is a TxStore over MemoryStore whose "database" is a set of
// names: a transaction's writes become visible when Commit has completed
// the key with its token, and never otherwise.
type memTxStore struct {
	*idempotency.MemoryStore
	mu        sync.Mutex
	committed map[string]bool
	commitErr error // Commit fails with it, before completing, when set
}

type memTx struct {
	s          *memTxStore
	key, token string
	writes     []string
	done       bool
}

type txKey struct{}

func newMemTxStore() *memTxStore {
	return &memTxStore{MemoryStore: idempotency.NewMemoryStore(time.Hour), committed: map[string]bool{}}
}

func (s *memTxStore) BeginTx(ctx context.Context, key, token string) (context.Context, idempotency.Tx, error) {
	tx := &memTx{s: s, key: key, token: token}
	return context.WithValue(ctx, txKey{}, tx), tx, nil
}

func (tx *memTx) Commit(ctx context.Context, rec *idempotency.Record) error {
	if tx.done {
		return errors.New("transaction already ended")
	}
	if tx.s.commitErr != nil {
		return tx.s.commitErr
	}
	tx.done = true
	if err := tx.s.Complete(ctx, tx.key, tx.token, rec); err != nil {
		return err // rolled back: the writes are dropped
	}
	tx.s.mu.Lock()
	for _, w := range tx.writes {
		tx.s.committed[w] = true
	}
	tx.s.mu.Unlock()
	return nil
}

func (tx *memTx) Rollback(context.Context) error {
	tx.done = true
	return nil
}

type memProbe struct{ s *memTxStore }

func (p memProbe) Write(ctx context.Context, t *testing.T, name string) {
	tx, ok := ctx.Value(txKey{}).(*memTx)
	if !ok {
		t.Fatal("no transaction in the handler's context")
	}
	tx.writes = append(tx.writes, name)
}

func (p memProbe) Committed(t *testing.T, name string) bool {
	p.s.mu.Lock()
	defer p.s.mu.Unlock()
	return p.s.committed[name]
}

func TestTxStoreContract(t *testing.T) {
	storetest.RunTx(t, storetest.Options{Lease: 50 * time.Millisecond}, func(t *testing.T) (idempotency.TxStore, storetest.TxProbe) {
		s := newMemTxStore()
		t.Cleanup(func() { s.Close() })
		return s, memProbe{s}
	})
}

func TestTransactionNeedsTxStore(t *testing.T) {
	defer func() {
		v := recover()
		if v == nil || !strings.Contains(v.(string), "WithTransaction needs a store that implements TxStore") {
			t.Fatalf("New with WithTransaction over a MemoryStore: recovered %v, want the panic naming TxStore", v)
		}
	}()
	idempotency.New(idempotency.NewMemoryStore(time.Hour), idempotency.WithTransaction(true))
}

// passWriter records what reached the client, and when.
type passWriter struct {
	*httptest.ResponseRecorder
	wrote chan struct{}
	once  sync.Once
}

func (w *passWriter) WriteHeader(code int) {
	w.once.Do(func() { close(w.wrote) })
	w.ResponseRecorder.WriteHeader(code)
}

func TestTransactionalAnswers(t *testing.T) {
	post := func(h http.Handler, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{}`))
		r.Header.Set(idempotency.HeaderIdempotencyKey, key)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	t.Run("held until the commit", func(t *testing.T) {
		s := newMemTxStore()
		w := &passWriter{ResponseRecorder: httptest.NewRecorder(), wrote: make(chan struct{})}
		h := idempotency.New(s, idempotency.WithTransaction(true)).Handler(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(http.StatusCreated)
			rw.Write([]byte("paid"))
			if f, ok := rw.(http.Flusher); ok {
				f.Flush()
			}
			select {
			case <-w.wrote:
				t.Error("the client got the response before the commit")
			default:
			}
		}))
		r := httptest.NewRequest(http.MethodPost, "/payments", nil)
		r.Header.Set(idempotency.HeaderIdempotencyKey, "k")
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated || w.Body.String() != "paid" {
			t.Fatalf("after the commit: %d %q", w.Code, w.Body.String())
		}
	})
	t.Run("a failed commit is not a success", func(t *testing.T) {
		s := newMemTxStore()
		s.commitErr = errors.New("connection reset")
		runs := 0
		h := idempotency.New(s, idempotency.WithTransaction(true)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			runs++
			w.WriteHeader(http.StatusCreated)
		}))
		if w := post(h, "k"); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), idempotency.CodeStoreUnavailable) {
			t.Fatalf("failed commit: %d %q, want the 503 problem", w.Code, w.Body.String())
		}
		s.commitErr = nil
		if w := post(h, "k"); w.Code != http.StatusCreated || runs != 2 {
			t.Fatalf("retry after a failed commit: %d after %d runs, want the key released and one more run", w.Code, runs)
		}
	})
	t.Run("taken over before the commit", func(t *testing.T) {
		// Renewals fail (the store is unreachable for them), so the lease
		// lapses: the handler's context is cancelled with ErrLeaseLost, a
		// retry takes the key over and completes it, and the first run's
		// commit is refused, its writes rolled back.
		s := newMemTxStore()
		var h http.Handler
		h = idempotency.New(renewFails{s}, idempotency.WithTransaction(true), idempotency.WithLease(30*time.Millisecond)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Retry") != "" {
				memProbe{s}.Write(r.Context(), t, "second")
				w.WriteHeader(http.StatusCreated)
				w.Write([]byte("second"))
				return
			}
			memProbe{s}.Write(r.Context(), t, "first")
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
				t.Fatal("the handler's context was not cancelled when its lease lapsed")
			}
			if cause := context.Cause(r.Context()); !errors.Is(cause, idempotency.ErrLeaseLost) {
				t.Errorf("cause %v, want ErrLeaseLost", cause)
			}
			retry := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{}`))
			retry.Header.Set(idempotency.HeaderIdempotencyKey, "k")
			retry.Header.Set("X-Retry", "1")
			rw := httptest.NewRecorder()
			h.ServeHTTP(rw, retry)
			if rw.Code != http.StatusCreated || rw.Body.String() != "second" {
				t.Errorf("the retry after the lapse: %d %q, want it to take the key over and run", rw.Code, rw.Body.String())
			}
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("first"))
		}))
		if w := post(h, "k"); w.Code != http.StatusConflict {
			t.Fatalf("the first run, taken over: %d %q, want 409", w.Code, w.Body.String())
		}
		if (memProbe{s}).Committed(t, "first") || !(memProbe{s}).Committed(t, "second") {
			t.Fatal("the taken-over run's writes committed, or the successor's did not")
		}
		if w := post(h, "k"); w.Body.String() != "second" || w.Header().Get(idempotency.HeaderIdempotencyReplayed) != "true" {
			t.Fatalf("a later retry: %d %q, want the successor's replay", w.Code, w.Body.String())
		}
	})
	t.Run("too large to hold", func(t *testing.T) {
		s := newMemTxStore()
		h := idempotency.New(s, idempotency.WithTransaction(true), idempotency.WithMaxResponseBody(4)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := w.Write([]byte("0123456789")); err == nil {
				t.Error("a write past the held response's cap succeeded")
			}
		}))
		if w := post(h, "k"); w.Code != http.StatusInternalServerError {
			t.Fatalf("too large: %d %q, want 500", w.Code, w.Body.String())
		}
	})
}

// renewFails is memTxStore with every renewal failing.
type renewFails struct{ *memTxStore }

func (renewFails) Renew(context.Context, string, string, time.Duration) error {
	return errors.New("store unreachable")
}
