package idempotency

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

type ctxTestKey struct{}

// The handler's context makes its cancellable context only on demand; it
// answers the same whether that happened before the lease was lost
// (Done first, a child first) or only then (nothing first).
func TestHandlerCtxLeaseLost(t *testing.T) {
	lost := errors.Join(ErrLeaseLost, errors.New("taken over"))
	for _, first := range []string{"nothing", "done", "child", "value child"} {
		t.Run(first, func(t *testing.T) {
			parent, stop := context.WithCancel(context.WithValue(context.Background(), ctxTestKey{}, "v"))
			defer stop()
			h := &handlerCtx{parent: parent, cancels: true, info: Info{Key: "k"}}
			var child context.Context
			switch first {
			case "done":
				h.Done()
			case "child":
				var cancel context.CancelFunc
				child, cancel = context.WithTimeout(h, time.Hour)
				defer cancel()
			case "value child":
				child = context.WithValue(h, struct{}{}, 1)
			}
			if h.Err() != nil || context.Cause(h) != nil {
				t.Fatalf("before the loss: err %v, cause %v", h.Err(), context.Cause(h))
			}
			h.lose(lost)
			if !errors.Is(context.Cause(h), ErrLeaseLost) || h.Err() != context.Canceled {
				t.Fatalf("cause %v, err %v; want ErrLeaseLost, Canceled", context.Cause(h), h.Err())
			}
			select {
			case <-h.Done():
			default:
				t.Fatal("Done not closed after the loss")
			}
			if child != nil {
				<-child.Done()
				if !errors.Is(context.Cause(child), ErrLeaseLost) {
					t.Fatalf("child's cause %v, want ErrLeaseLost", context.Cause(child))
				}
			}
			if info, ok := FromContext(h); !ok || info.Key != "k" || h.Value(ctxTestKey{}) != "v" {
				t.Fatalf("values lost: info %v %v, parent's %v", info, ok, h.Value(ctxTestKey{}))
			}
			h.end()
			if !errors.Is(context.Cause(h), ErrLeaseLost) {
				t.Fatalf("cause after the end %v, want ErrLeaseLost still", context.Cause(h))
			}
		})
	}
}

// A client that goes away cancels the handler's context with its
// context's cause, made beforehand or not.
func TestHandlerCtxParentCancelled(t *testing.T) {
	gone := errors.New("client gone")
	for _, made := range []bool{false, true} {
		parent, cancel := context.WithCancelCause(context.Background())
		h := &handlerCtx{parent: parent, cancels: true}
		if made {
			h.Done()
		}
		cancel(gone)
		if h.Err() != context.Canceled || context.Cause(h) != gone {
			t.Fatalf("made %v: err %v, cause %v; want Canceled, the client's", made, h.Err(), context.Cause(h))
		}
		<-h.Done()
		h.lose(ErrLeaseLost) // too late: the first cause stays
		if context.Cause(h) != gone {
			t.Fatalf("made %v: cause %v after a late loss, want the client's", made, context.Cause(h))
		}
	}
}

// Once the run is over the context is cancelled, for a goroutine that
// kept it, whether or not it was made during the run; without leases
// (AdaptStore) it only follows r's context, as before.
func TestHandlerCtxEnd(t *testing.T) {
	for _, made := range []bool{false, true} {
		h := &handlerCtx{parent: context.Background(), cancels: true}
		if made {
			h.Done()
		}
		h.end()
		if h.Err() != context.Canceled || context.Cause(h) != context.Canceled {
			t.Fatalf("made %v: err %v, cause %v after the end, want Canceled", made, h.Err(), context.Cause(h))
		}
		<-h.Done()
	}
	h := &handlerCtx{parent: context.Background()}
	h.end()
	if h.Err() != nil || h.Done() != nil {
		t.Fatalf("without leases: err %v, done %v; want r's context's", h.Err(), h.Done())
	}
}

// Through the middleware: a handler that kept its context sees it
// cancelled after the run, and one that never asked for Done before its
// lease was lost still finds ErrLeaseLost.
func TestHandlerContextAfterTheRun(t *testing.T) {
	var kept context.Context
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kept = r.Context()
		w.WriteHeader(http.StatusCreated)
	})
	serve(New(NewMemoryStore(time.Hour)).Handler(h), http.MethodPost, "/p", "k", "{}")
	if kept.Err() != context.Canceled {
		t.Fatalf("kept context's err %v after the run, want Canceled", kept.Err())
	}
	if _, ok := FromContext(kept); !ok {
		t.Fatal("kept context lost its Info")
	}

	var err, cause error
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Err, unlike Done, does not make the cancellable context.
		for deadline := time.Now().Add(5 * time.Second); r.Context().Err() == nil && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		err, cause = r.Context().Err(), context.Cause(r.Context())
		w.WriteHeader(http.StatusCreated)
	})
	mw := New(renewBroken{NewMemoryStore(time.Hour), ErrNotOwner}, WithLease(30*time.Millisecond)).Handler(h)
	serve(mw, http.MethodPost, "/p", "k", "{}")
	if err != context.Canceled || !errors.Is(cause, ErrLeaseLost) {
		t.Fatalf("err %v, cause %v; want Canceled, ErrLeaseLost", err, cause)
	}
}

// The store calls' context keeps r's values and none of its cancellation.
func TestDetachedCtx(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxTestKey{}, "v"))
	cancel()
	d := &detachedCtx{parent: parent}
	if d.Err() != nil || d.Done() != nil || d.Value(ctxTestKey{}) != "v" {
		t.Fatalf("err %v, done %v, value %v", d.Err(), d.Done(), d.Value(ctxTestKey{}))
	}
	if _, ok := d.Deadline(); ok {
		t.Fatal("a deadline")
	}
}
