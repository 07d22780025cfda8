package idemclient

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// flakyStore fails the first Claim of every key, as a store does in a
// short outage; the middleware answers that with its own 503.
type flakyStore struct {
	*idempotency.MemoryStore
	mu   sync.Mutex
	seen map[string]bool
}

func (s *flakyStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	s.mu.Lock()
	first := !s.seen[key]
	s.seen[key] = true
	s.mu.Unlock()
	if first {
		return idempotency.Claim{}, errors.New("store unreachable")
	}
	return s.MemoryStore.Claim(ctx, key, fp, lease)
}

func TestStoreOutageIsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	mem := idempotency.NewMemoryStore(time.Hour)
	t.Cleanup(func() { mem.Close() })
	o, srv := newObjects(t, 0, &flakyStore{MemoryStore: mem, seen: map[string]bool{}})
	sl := &sleeps{}
	tr := &Transport{Routes: objectRoutes, sleep: sl.sleep}
	got, call, resp, err := post(context.Background(), &http.Client{Transport: tr}, srv.URL+objectsPath, `{}`)
	if err != nil {
		t.Fatal(err)
	}
	runs, id := o.runsOf(call.Key)
	if resp.StatusCode != http.StatusCreated || runs != 1 || got.ID != id || call.Attempts != 2 {
		t.Fatalf("status %d, runs %d, got %+v want %s, attempts %d", resp.StatusCode, runs, got, id, call.Attempts)
	}
	if w := sl.all(); len(w) != 1 || w[0] != time.Second {
		t.Fatalf("waits %v, want the 503's Retry-After of 1s", w)
	}
}
