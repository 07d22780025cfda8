package idempotency

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFirstRequestThenReplay(t *testing.T) {
	h := &countingHandler{}
	var ev events
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h)
	first := serve(mw, http.MethodPost, "/payments", "k1", `{"amount":10}`)
	if first.Code != http.StatusCreated || first.Header().Get(HeaderIdempotencyReplayed) != "" {
		t.Fatalf("first: %d replayed=%q", first.Code, first.Header().Get(HeaderIdempotencyReplayed))
	}
	if want := `{"run":1,"echo":"{\"amount\":10}"}`; first.Body.String() != want {
		t.Fatalf("first body %q, want %q (the handler must read the whole body)", first.Body, want)
	}
	second := serve(mw, http.MethodPost, "/payments", "k1", `{"amount":10}`)
	if second.Code != http.StatusCreated || second.Body.String() != first.Body.String() {
		t.Fatalf("replay: %d %q, want %d %q", second.Code, second.Body, first.Code, first.Body)
	}
	if second.Header().Get(HeaderIdempotencyReplayed) != "true" || second.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("replay headers %v", second.Header())
	}
	if h.runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", h.runs.Load())
	}
	want := []Outcome{OutcomeAcquired, OutcomeCompleted, OutcomeReplayed}
	if got := ev.outcomes(); !equalOutcomes(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func equalOutcomes(a, b []Outcome) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMismatchIs422AndOriginalStays(t *testing.T) {
	h := &countingHandler{}
	var ev events
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h)
	orig := serve(mw, http.MethodPost, "/payments?x=1", "k", `{"amount":10}`)
	for name, req := range map[string][2]string{
		"body":  {"/payments?x=1", `{"amount":99}`},
		"query": {"/payments?x=2", `{"amount":10}`},
	} {
		w := serve(mw, http.MethodPost, req[0], "k", req[1])
		wantProblem(t, w, http.StatusUnprocessableEntity, CodeKeyReused)
		if h.runs.Load() != 1 {
			t.Fatalf("%s: handler ran again", name)
		}
	}
	again := serve(mw, http.MethodPost, "/payments?x=1", "k", `{"amount":10}`)
	if again.Body.String() != orig.Body.String() || again.Header().Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("original not intact after mismatches: %q vs %q", again.Body, orig.Body)
	}
	if !ev.has(OutcomeMismatch) {
		t.Fatalf("no mismatch event: %v", ev.outcomes())
	}
}

// blockingHandler holds the first request until released.
type blockingHandler struct {
	countingHandler
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func newBlocking() *blockingHandler {
	return &blockingHandler{started: make(chan struct{}), release: make(chan struct{})}
}

func (b *blockingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.once.Do(func() { close(b.started) })
	<-b.release
	b.countingHandler.ServeHTTP(w, r)
}

func TestInFlightIs409WithRetryAfter(t *testing.T) {
	h := newBlocking()
	var ev events
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(mw, http.MethodPost, "/p", "k", "{}") }()
	<-h.started
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	wantProblem(t, w, http.StatusConflict, CodeKeyInUse)
	if w.Header().Get("Retry-After") != "1" {
		t.Fatalf("Retry-After = %q", w.Header().Get("Retry-After"))
	}
	// A different body while in flight is a mismatch, not a conflict.
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", `{"other":1}`), http.StatusUnprocessableEntity, CodeKeyReused)
	close(h.release)
	if first := <-done; first.Code != http.StatusCreated {
		t.Fatalf("first: %d", first.Code)
	}
	if h.runs.Load() != 1 || !ev.has(OutcomeConflict) {
		t.Fatalf("runs %d, events %v", h.runs.Load(), ev.outcomes())
	}
}

func TestWithWaitReplaysAfterFirstFinishes(t *testing.T) {
	h := newBlocking()
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithWait(5*time.Second)).Handler(h)
	done := make(chan *httptest.ResponseRecorder, 2)
	go func() { done <- serve(mw, http.MethodPost, "/p", "k", "{}") }()
	<-h.started
	go func() { done <- serve(mw, http.MethodPost, "/p", "k", "{}") }()
	time.Sleep(30 * time.Millisecond) // let the second one start waiting
	close(h.release)
	a, b := <-done, <-done
	if a.Code != http.StatusCreated || b.Code != http.StatusCreated || a.Body.String() != b.Body.String() {
		t.Fatalf("got %d %q and %d %q", a.Code, a.Body, b.Code, b.Body)
	}
	if a.Header().Get(HeaderIdempotencyReplayed) == b.Header().Get(HeaderIdempotencyReplayed) {
		t.Fatal("exactly one of the two should be a replay")
	}
	if h.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", h.runs.Load())
	}
}

func TestWithWaitIsBounded(t *testing.T) {
	h := newBlocking()
	defer close(h.release)
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithWait(50*time.Millisecond)).Handler(h)
	go serve(mw, http.MethodPost, "/p", "k", "{}")
	<-h.started
	start := time.Now()
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", "{}"), http.StatusConflict, CodeKeyInUse)
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Fatalf("gave up after %v, before the 50ms wait", el)
	}
}

func TestExpiredEntryIsAFirstRequest(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	store := NewMemoryStoreWith(MemoryOptions{TTL: time.Minute, clock: clock})
	h := &countingHandler{}
	mw := NewMiddleware(store, WithTTL(50*time.Millisecond)).Handler(h)
	serve(mw, http.MethodPost, "/p", "k", "{}")
	serve(mw, http.MethodPost, "/p", "k", "{}")
	if h.runs.Load() != 1 {
		t.Fatalf("runs %d before expiry", h.runs.Load())
	}
	time.Sleep(60 * time.Millisecond) // the record's ExpiresAt is wall time
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	if h.runs.Load() != 2 || w.Header().Get(HeaderIdempotencyReplayed) != "" {
		t.Fatalf("after expiry: runs %d, replayed %q", h.runs.Load(), w.Header().Get(HeaderIdempotencyReplayed))
	}
}

func TestTTLSource(t *testing.T) {
	if got := New(NewMemoryStore(time.Minute)).ttl; got != time.Minute {
		t.Errorf("store TTL: got %v, want 1m", got)
	}
	if got := New(NewMemoryStore(time.Minute), WithTTL(time.Hour)).ttl; got != time.Hour {
		t.Errorf("WithTTL: got %v, want 1h", got)
	}
	if got := NewMiddleware(seedOnly{NewMemoryStore(time.Minute)}).ttl; got != DefaultTTL {
		t.Errorf("seed-only store: got %v, want DefaultTTL", got)
	}
	var info Info
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ = FromContext(r.Context())
	}))
	serve(mw, http.MethodPost, "/p", "k", "{}")
	if d := info.ExpiresAt.Sub(info.CreatedAt); d != time.Minute {
		t.Errorf("Info expiry %v after creation, want the store's 1m", d)
	}
}

func TestInfoInContext(t *testing.T) {
	var got Info
	var ok bool
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = FromContext(r.Context())
	}))
	before := time.Now()
	serve(mw, http.MethodPost, "/p", `"my-key"`, "{}")
	if !ok || got.Key != "my-key" || got.Replayed || got.CreatedAt.Before(before) || !got.ExpiresAt.After(got.CreatedAt) {
		t.Fatalf("Info = %+v, %v", got, ok)
	}
	got, ok = Info{}, true
	serve(mw, http.MethodPost, "/p", "", "{}")
	if ok {
		t.Fatalf("a request without a key has Info %+v in its context", got)
	}
	if _, ok := FromContext(context.Background()); ok {
		t.Fatal("FromContext on a bare context reported ok")
	}
}

// Generated wrappers call Serve directly with the operation's handler.
func TestServeDirectly(t *testing.T) {
	m := NewMiddleware(NewMemoryStore(time.Minute))
	h := &countingHandler{}
	for range 2 {
		r := httptest.NewRequest(http.MethodPost, "/p", strings.NewReader("{}"))
		r.Header.Set(HeaderIdempotencyKey, "k")
		w := httptest.NewRecorder()
		m.Serve(w, r, h)
		if w.Code != http.StatusCreated {
			t.Fatalf("code %d", w.Code)
		}
	}
	if h.runs.Load() != 1 {
		t.Fatalf("runs %d", h.runs.Load())
	}
	// A nil handler is http.DefaultServeMux, as for http.Server: here a 404,
	// stored like any 4xx, not a panic.
	r := httptest.NewRequest(http.MethodPost, "/idempotency-test-unrouted", nil)
	r.Header.Set(HeaderIdempotencyKey, "k")
	w := httptest.NewRecorder()
	m.Handler(nil).ServeHTTP(w, r)
	if w.Code != http.StatusNotFound {
		t.Fatalf("nil handler: %d", w.Code)
	}
}
