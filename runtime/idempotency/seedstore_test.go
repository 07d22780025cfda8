package idempotency

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestSeedOnlyStore(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(seedOnly{NewMemoryStore(time.Minute)}).Handler(h)
	first := serve(mw, http.MethodPost, "/p", "k", `{"a":1}`)
	second := serve(mw, http.MethodPost, "/p", "k", `{"a":1}`)
	if h.runs.Load() != 1 || second.Body.String() != first.Body.String() || second.Header().Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("runs %d, replay %d %q", h.runs.Load(), second.Code, second.Body)
	}
	// Multi-valued headers come back joined: the documented limit.
	if got := second.Header().Values("X-Multi"); !slices.Equal(got, []string{"a, b"}) {
		t.Fatalf("X-Multi = %q", got)
	}
	// The fingerprint survives the CachedResponse round trip.
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", `{"a":2}`), http.StatusUnprocessableEntity, CodeKeyReused)
}

func TestSeedOnlyStoreInFlightAndPanic(t *testing.T) {
	b := newBlocking()
	store := seedOnly{NewMemoryStore(time.Minute)}
	mw := NewMiddleware(store).Handler(b)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- serve(mw, http.MethodPost, "/p", "k", "{}") }()
	<-b.started
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", "{}"), http.StatusConflict, CodeKeyInUse)
	wantProblem(t, serve(mw, http.MethodPost, "/p", "k", `{"x":1}`), http.StatusUnprocessableEntity, CodeKeyReused)
	close(b.release)
	<-done

	panicky := NewMiddleware(store).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }))
	func() {
		defer func() { recover() }()
		serve(panicky, http.MethodPost, "/q", "k", "{}")
	}()
	if !store.s.Lock(seedKeyFor(t, "/q", "k")) {
		t.Fatal("the seed lock was not released after a panic")
	}
}

// seedKeyFor is the store key the default middleware derives.
func seedKeyFor(t *testing.T, path, key string) string {
	t.Helper()
	st := getState()
	defer putState(st)
	_, sk := st.identify(NewMiddleware(GetDefaultStore()), httptest.NewRequest(http.MethodPost, path, nil), key)
	return sk
}

func TestSeedAdapterExactlyOneWinner(t *testing.T) {
	a := AdaptStore(seedOnly{NewMemoryStore(time.Minute)}).(*seedStore)
	ctx := context.Background()
	for round := range 50 {
		key := "race-" + string(rune('a'+round%26)) + time.Now().String()
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := a.Claim(ctx, key, "fp", time.Second)
				if err == nil && c.State == Acquired {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d winners", round, won)
		}
	}
}

func TestSeedAdapterTokens(t *testing.T) {
	a := AdaptStore(seedOnly{NewMemoryStore(time.Minute)}).(*seedStore)
	ctx := context.Background()
	c, _ := a.Claim(ctx, "k", "fp", time.Second)
	if err := a.Complete(ctx, "k", "not-the-token", &Record{Status: 201}); err != ErrNotOwner {
		t.Fatalf("Complete with a wrong token: %v", err)
	}
	if err := a.Renew(ctx, "k", c.Token, time.Second); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if err := a.Complete(ctx, "k", c.Token, &Record{Status: 201, Fingerprint: "fp", Header: http.Header{}, ExpiresAt: time.Now().Add(time.Minute)}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if err := a.Abandon(ctx, "k", c.Token); err != ErrNotOwner {
		t.Fatalf("Abandon after Complete: %v", err)
	}
	got, _ := a.Claim(ctx, "k", "fp", time.Second)
	if got.State != Completed || got.Record.Status != 201 || got.Fingerprint != "fp" {
		t.Fatalf("Claim after Complete = %+v", got)
	}
	// An expired CachedResponse is a free key.
	a.s.Set("old", &CachedResponse{StatusCode: 200, ExpiresAt: time.Now().Add(-time.Second)})
	if c, _ := a.Claim(ctx, "old", "fp", time.Second); c.State != Acquired {
		t.Fatalf("expired entry: %v", c.State)
	}
}
