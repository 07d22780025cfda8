package storetest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TxProbe stands for the handler's own writes in a [RunTx] check: each
// store's test implements it over a table of its own.
type TxProbe interface {
	// Write records name in the transaction that ctx carries (the ctx
	// BeginTx returned, or a request context derived from it).
	Write(ctx context.Context, t *testing.T, name string)
	// Committed reports whether name's write is visible outside that
	// transaction, that is, whether it committed.
	Committed(t *testing.T, name string) bool
}

// RunTx checks a [idempotency.TxStore]: the handler's writes and the
// completed key commit together, a rollback leaves neither, and an owner
// whose lease was taken over can commit neither. It also drives the
// middleware built WithTransaction over the store. newStore returns the
// store and a probe for the writes.
func RunTx(t *testing.T, opts Options, newStore func(t *testing.T) (idempotency.TxStore, TxProbe)) {
	t.Helper()
	opts = opts.withDefaults()
	checks := []struct {
		name string
		fn   func(*testing.T, *suite, idempotency.TxStore, TxProbe)
	}{
		{"CommitTogether", testTxCommit},
		{"RollbackLeavesNothing", testTxRollback},
		{"TakenOverCannotCommit", testTxFenced},
		{"Middleware", testTxMiddleware},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			ts, probe := newStore(t)
			s := &suite{opts: opts, store: ts, prefix: "storetest:" + randomHex(6) + ":"}
			c.fn(t, s, ts, probe)
		})
	}
}

func begin(t *testing.T, ts idempotency.TxStore, key, token string) (context.Context, idempotency.Tx) {
	t.Helper()
	ctx, tx, err := ts.BeginTx(context.Background(), key, token)
	if err != nil {
		t.Fatalf("BeginTx(%q): %v", key, err)
	}
	return ctx, tx
}

func testTxCommit(t *testing.T, s *suite, ts idempotency.TxStore, p TxProbe) {
	key := s.key("commit")
	tok := s.acquire(t, key, "fp-1", longLease)
	ctx, tx := begin(t, ts, key, tok)
	p.Write(ctx, t, s.prefix+"commit")
	if p.Committed(t, s.prefix+"commit") {
		t.Fatal("the handler's write is visible before the commit")
	}
	s.expectInFlight(t, key, "fp-1")
	want := record("fp-1", 201, []byte("paid"))
	if err := tx.Commit(context.Background(), want); err != nil {
		t.Fatalf("Commit by the owner: %v", err)
	}
	if !p.Committed(t, s.prefix+"commit") {
		t.Fatal("the handler's write did not commit with the key")
	}
	checkRecord(t, s.expectCompleted(t, key, "fp-1"), want)
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatalf("Rollback after Commit: %v, want nil (it does nothing)", err)
	}
}

func testTxRollback(t *testing.T, s *suite, ts idempotency.TxStore, p TxProbe) {
	key := s.key("rollback")
	tok := s.acquire(t, key, "fp-1", longLease)
	ctx, tx := begin(t, ts, key, tok)
	p.Write(ctx, t, s.prefix+"rollback")
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatalf("Rollback: %v", err)
	}
	if p.Committed(t, s.prefix+"rollback") {
		t.Fatal("a rolled back write is visible")
	}
	// The claim is the middleware's to release, and still the owner's.
	s.expectInFlight(t, key, "fp-1")
	if err := s.store.Abandon(context.Background(), key, tok); err != nil {
		t.Fatalf("Abandon after Rollback: %v", err)
	}
	s.acquire(t, key, "fp-2", longLease)
}

func testTxFenced(t *testing.T, s *suite, ts idempotency.TxStore, p TxProbe) {
	key := s.key("fenced")
	old := s.claimLease(t, key, "fp-old", s.opts.Lease)
	if old.State != idempotency.Acquired {
		t.Fatalf("Claim on a free key: state %v", old.State)
	}
	ctx, tx := begin(t, ts, key, old.Token)
	p.Write(ctx, t, s.prefix+"stale")
	var c idempotency.Claim
	s.poll(t, "lease expired and taken over", func() bool {
		c = s.claim(t, key, "fp-new")
		return c.State == idempotency.Acquired
	})
	err := tx.Commit(context.Background(), record("fp-old", 201, []byte("late")))
	if !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Commit by an owner that was taken over: %v, want ErrNotOwner", err)
	}
	if p.Committed(t, s.prefix+"stale") {
		t.Fatal("the stale owner's write committed")
	}
	s.expectInFlight(t, key, "fp-new")
	want := record("fp-new", 201, []byte("new owner"))
	s.complete(t, key, c.Token, want)
	checkRecord(t, s.expectCompleted(t, key, "fp-new"), want)
}

// testTxMiddleware runs the middleware built WithTransaction over the
// store: a success commits the write with the key and replays, a 5xx and
// a panic leave no write and free the key.
func testTxMiddleware(t *testing.T, s *suite, ts idempotency.TxStore, p TxProbe) {
	runs := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		name := r.Header.Get("X-Write")
		p.Write(r.Context(), t, name)
		switch r.Header.Get("X-Answer") {
		case "500":
			http.Error(w, "failed", http.StatusInternalServerError)
		case "panic":
			panic(http.ErrAbortHandler)
		default:
			if p.Committed(t, name) {
				t.Error("the write is visible before the middleware committed it")
			}
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"ok":true}`))
		}
	})
	mw := idempotency.New(ts, idempotency.WithTransaction(true)).Handler(h)
	send := func(key, write, answer string) *httptest.ResponseRecorder {
		t.Helper()
		r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{}`))
		r.Header.Set(idempotency.HeaderIdempotencyKey, s.prefix+key)
		r.Header.Set("X-Write", s.prefix+write)
		r.Header.Set("X-Answer", answer)
		w := httptest.NewRecorder()
		func() {
			defer func() {
				if v := recover(); v != nil && v != http.ErrAbortHandler {
					panic(v)
				}
			}()
			mw.ServeHTTP(w, r)
		}()
		return w
	}
	if w := send("ok", "ok", ""); w.Code != http.StatusCreated || w.Body.String() != `{"ok":true}` {
		t.Fatalf("first request: %d %q", w.Code, w.Body.String())
	}
	if !p.Committed(t, s.prefix+"ok") {
		t.Fatal("the handler's write did not commit")
	}
	if w := send("ok", "ok-again", ""); w.Code != http.StatusCreated || w.Header().Get(idempotency.HeaderIdempotencyReplayed) != "true" || runs != 1 {
		t.Fatalf("retry: %d replayed=%q after %d runs, want a replay of the first", w.Code, w.Header().Get(idempotency.HeaderIdempotencyReplayed), runs)
	}
	for _, answer := range []string{"500", "panic"} {
		before := runs
		send("k-"+answer, "w-"+answer, answer)
		if p.Committed(t, s.prefix+"w-"+answer) {
			t.Fatalf("a %s committed the handler's write", answer)
		}
		if w := send("k-"+answer, "w2-"+answer, ""); w.Code != http.StatusCreated || runs != before+2 {
			t.Fatalf("retry after a %s: %d after %d runs, want the key free and a second run", answer, w.Code, runs-before)
		}
	}
}
