package idempotency

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// flakyComplete fails the first n Completes, as a store that is down just
// after the handler answered and comes back.
type flakyComplete struct {
	ClaimStore
	n, calls atomic.Int64
}

func (f *flakyComplete) Complete(ctx context.Context, key, token string, rec *Record) error {
	if f.calls.Add(1) <= f.n.Load() {
		return errInjected
	}
	return f.ClaimStore.Complete(ctx, key, token, rec)
}

func TestCompleteIsRetried(t *testing.T) {
	fs := &flakyComplete{ClaimStore: NewMemoryStore(time.Hour)}
	fs.n.Store(3)
	h := &countingHandler{}
	var ev events
	mw := New(fs, WithObserver(ev.observe)).Handler(h)
	if w := serve(mw, http.MethodPost, "/p", "k", "{}"); w.Code != http.StatusCreated {
		t.Fatalf("first: %d", w.Code)
	}
	if got := fs.calls.Load(); got != 4 || !ev.has(OutcomeCompleted) || ev.has(OutcomeStoreError) {
		t.Fatalf("%d Completes, events %v; want 3 failures, then completed", got, ev.outcomes())
	}
	if w := serve(mw, http.MethodPost, "/p", "k", "{}"); w.Header().Get(HeaderIdempotencyReplayed) != "true" || h.runs.Load() != 1 {
		t.Fatalf("retry: replayed=%q after %d runs, want a replay", w.Header().Get(HeaderIdempotencyReplayed), h.runs.Load())
	}
}

func TestCompleteRetryIsBounded(t *testing.T) {
	fs := &flakyComplete{ClaimStore: NewMemoryStore(time.Hour)}
	fs.n.Store(1 << 30)
	var ev events
	mw := New(fs, WithObserver(ev.observe), WithCompleteRetry(150*time.Millisecond)).Handler(&countingHandler{})
	start := time.Now()
	serve(mw, http.MethodPost, "/p", "k", "{}")
	took := time.Since(start)
	if took < 150*time.Millisecond || took > 2*time.Second || fs.calls.Load() < 3 || !ev.has(OutcomeStoreError) {
		t.Fatalf("took %v, %d Completes, events %v; want retries for 150ms, then store_error", took, fs.calls.Load(), ev.outcomes())
	}
}

// renewBroken fails every renewal with err.
type renewBroken struct {
	ClaimStore
	err error
}

func (s renewBroken) Renew(context.Context, string, string, time.Duration) error { return s.err }

// A handler whose lease is lost hears of it through its context, with
// ErrLeaseLost as the cause: at once when the store says another request
// took the key over, after a lease's length when renewals fail.
func TestLeaseLostCancelsTheHandler(t *testing.T) {
	for _, tc := range []struct {
		name  string
		err   error
		after time.Duration // the soonest the cancellation may come
	}{
		{"taken over", ErrNotOwner, 0},
		{"renewals fail", errInjected, 60 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cause error
			var waited time.Duration
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				start := time.Now()
				select {
				case <-r.Context().Done():
					cause, waited = context.Cause(r.Context()), time.Since(start)
				case <-time.After(5 * time.Second):
				}
				w.WriteHeader(http.StatusCreated)
			})
			var ev events
			mw := New(renewBroken{NewMemoryStore(time.Hour), tc.err}, WithLease(60*time.Millisecond), WithObserver(ev.observe)).Handler(h)
			serve(mw, http.MethodPost, "/p", "k", "{}")
			if !errors.Is(cause, ErrLeaseLost) {
				t.Fatalf("handler's context cause %v, want ErrLeaseLost", cause)
			}
			if waited < tc.after || waited > 2*time.Second {
				t.Fatalf("cancelled after %v, want from %v on", waited, tc.after)
			}
			if !ev.has(OutcomeOwnershipLost) {
				t.Fatalf("events %v, want ownership_lost", ev.outcomes())
			}
		})
	}
}

// Info carries the claim's fence and whether it took an expired owner's
// key over; a takeover's fence is larger.
func TestInfoFence(t *testing.T) {
	var mu sync.Mutex
	var infos []Info
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := FromContext(r.Context())
		mu.Lock()
		infos = append(infos, info)
		n := len(infos)
		mu.Unlock()
		if n == 1 {
			<-release // a stalled owner, whose renewals fail
		}
		w.WriteHeader(http.StatusCreated)
	})
	mw := New(renewBroken{NewMemoryStore(time.Hour), errInjected}, WithLease(30*time.Millisecond)).Handler(h)
	done := make(chan struct{})
	go func() { defer close(done); serve(mw, http.MethodPost, "/p", "k", "{}") }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(10 * time.Millisecond)
		if w := serve(mw, http.MethodPost, "/p", "k", "{}"); w.Code == http.StatusCreated || time.Now().After(deadline) {
			break
		}
	}
	close(release)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(infos) != 2 {
		t.Fatalf("%d runs, want the stalled one and its successor", len(infos))
	}
	first, second := infos[0], infos[1]
	if first.Fence == 0 || first.TakenOver || !second.TakenOver || second.Fence <= first.Fence {
		t.Fatalf("first %+v, second %+v: want a fence on both, growing, and TakenOver on the second", first, second)
	}
}
