package storetest

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// RunSeed checks a seed Store with default Options.
func RunSeed(t *testing.T, newStore func(t *testing.T) idempotency.Store) {
	t.Helper()
	RunSeedWith(t, Options{}, newStore)
}

// RunSeedWith checks a seed Store: Get, Set, Delete, Lock and Unlock, each
// check in a subtest with a store of its own.
func RunSeedWith(t *testing.T, opts Options, newStore func(t *testing.T) idempotency.Store) {
	t.Helper()
	opts = opts.withDefaults()
	checks := []struct {
		name string
		fn   func(*testing.T, *seedSuite)
	}{
		{"GetMissing", seedGetMissing},
		{"SetGet", seedSetGet},
		{"SetOverwrites", seedOverwrite},
		{"Delete", seedDelete},
		{"LockUnlock", seedLock},
		{"UnlockKeepsResponse", seedUnlockKeeps},
		{"Expiry", seedExpiry},
		{"KeysIsolated", seedKeys},
		{"OneLockRace", seedRace},
		{"MultiValuedHeaders", seedMultiValued},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, &seedSuite{opts: opts, store: newStore(t), prefix: "storetest:" + randomHex(6) + ":"})
		})
	}
}

type seedSuite struct {
	opts   Options
	store  idempotency.Store
	prefix string
}

func (s *seedSuite) key(name string) string { return s.prefix + name }

func cached(status int, body string) *idempotency.CachedResponse {
	now := time.Now()
	return &idempotency.CachedResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json", "X-Request-Id": "r-" + body},
		Body:       []byte(body),
		CreatedAt:  now,
		ExpiresAt:  now.Add(time.Hour),
	}
}

func (s *seedSuite) expect(t *testing.T, key string, want *idempotency.CachedResponse) {
	t.Helper()
	got, ok := s.store.Get(key)
	if !ok || got == nil {
		t.Fatalf("Get(%q): nothing, want the stored response", key)
	}
	if got.StatusCode != want.StatusCode || !bytes.Equal(got.Body, want.Body) || !maps.Equal(got.Headers, want.Headers) {
		t.Fatalf("Get(%q) = %d %q %q, want %d %q %q", key, got.StatusCode, got.Headers, got.Body, want.StatusCode, want.Headers, want.Body)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, want.ExpiresAt)
}

func (s *seedSuite) expectMissing(t *testing.T, key string) {
	t.Helper()
	if got, ok := s.store.Get(key); ok {
		t.Fatalf("Get(%q) = %+v, want nothing", key, got)
	}
}

func seedGetMissing(t *testing.T, s *seedSuite) { s.expectMissing(t, s.key("missing")) }

func seedSetGet(t *testing.T, s *seedSuite) {
	key := s.key("k")
	want := cached(201, "\x00binary\xff")
	s.store.Set(key, want)
	s.expect(t, key, want)
	s.expect(t, key, want) // reading does not consume
}

func seedOverwrite(t *testing.T, s *seedSuite) {
	key := s.key("k")
	s.store.Set(key, cached(201, "first"))
	second := cached(200, "second")
	s.store.Set(key, second)
	s.expect(t, key, second)
}

func seedDelete(t *testing.T, s *seedSuite) {
	key, other := s.key("k"), s.key("k2")
	s.store.Set(key, cached(201, "x"))
	keep := cached(202, "y")
	s.store.Set(other, keep)
	s.store.Delete(key)
	s.expectMissing(t, key)
	s.expect(t, other, keep)
	s.store.Delete(s.key("never-set")) // harmless
}

func seedLock(t *testing.T, s *seedSuite) {
	key, other := s.key("k"), s.key("k2")
	if !s.store.Lock(key) {
		t.Fatal("Lock on a free key failed")
	}
	if s.store.Lock(key) {
		t.Fatal("second Lock on a locked key succeeded")
	}
	if !s.store.Lock(other) {
		t.Fatal("Lock on another key failed while the first is locked")
	}
	s.store.Unlock(key)
	if !s.store.Lock(key) {
		t.Fatal("Lock after Unlock failed")
	}
	s.store.Unlock(key)
	s.store.Unlock(other)
}

// seedUnlockKeeps follows the seed middleware's order: Lock, Set, Unlock.
func seedUnlockKeeps(t *testing.T, s *seedSuite) {
	key := s.key("k")
	if !s.store.Lock(key) {
		t.Fatal("Lock on a free key failed")
	}
	want := cached(201, "kept")
	s.store.Set(key, want)
	s.store.Unlock(key)
	s.expect(t, key, want)
}

func seedExpiry(t *testing.T, s *seedSuite) {
	key := s.key("k")
	resp := cached(201, "short")
	resp.ExpiresAt = time.Now().Add(s.opts.Lease)
	s.store.Set(key, resp)
	deadline := time.Now().Add(s.opts.Patience)
	for {
		asked := time.Now()
		_, ok := s.store.Get(key)
		if !ok {
			// The store decided at some moment between asked and now; only
			// an answer that came back before ExpiresAt is early for sure
			// (a loaded machine can delay the call well past asked).
			if early := resp.ExpiresAt.Sub(time.Now()); early > 20*time.Millisecond {
				t.Fatalf("response gone %v before its ExpiresAt", early)
			}
			return
		}
		if asked.After(deadline) {
			t.Fatalf("response still returned %v after its ExpiresAt", time.Since(resp.ExpiresAt))
		}
		time.Sleep(s.opts.Lease / 20)
	}
}

func seedKeys(t *testing.T, s *seedSuite) {
	names := append(similarKeys(), oddKeys()...)
	wants := make([]*idempotency.CachedResponse, len(names))
	for i, name := range names {
		wants[i] = cached(200+i%100, fmt.Sprint(i))
		s.store.Set(s.key(name), wants[i])
	}
	for i, name := range names {
		s.expect(t, s.key(name), wants[i])
	}
}

// seedMultiValued: a store that is also a ClaimStore keeps every value of
// a header in a completed Record, and its seed Get returns them as
// CachedResponse documents: joined by ", ", Set-Cookie's first only. A
// seed-only store cannot hold several values, so it skips.
func seedMultiValued(t *testing.T, s *seedSuite) {
	cs, ok := s.store.(idempotency.ClaimStore)
	if !ok {
		t.Skip("the store is not a ClaimStore: its records hold one value per header")
	}
	ctx := context.Background()
	key := s.key("multi")
	c, err := cs.Claim(ctx, key, "fp-multi", time.Minute)
	if err != nil || c.State != idempotency.Acquired {
		t.Fatalf("Claim(%q) = %v, %v; want acquired", key, c.State, err)
	}
	now := time.Now()
	rec := &idempotency.Record{
		Fingerprint: "fp-multi",
		Status:      201,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Vary":         {"Accept", "Accept-Encoding"},
			"Set-Cookie":   {"a=1; Path=/", "b=2; Path=/"},
		},
		Body:      []byte(`{"ok":true}`),
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
	}
	if err := cs.Complete(ctx, key, c.Token, rec); err != nil {
		t.Fatalf("Complete(%q): %v", key, err)
	}
	got, ok := s.store.Get(key)
	if !ok || got == nil {
		t.Fatalf("Get(%q): nothing, want the response Complete stored", key)
	}
	want := map[string]string{"Content-Type": "application/json", "Vary": "Accept, Accept-Encoding", "Set-Cookie": "a=1; Path=/"}
	if got.StatusCode != 201 || !bytes.Equal(got.Body, rec.Body) || !maps.Equal(got.Headers, want) {
		t.Fatalf("Get(%q) = %d %q %q, want 201 %q %q", key, got.StatusCode, got.Headers, got.Body, want, rec.Body)
	}
}

// seedRace: Racers goroutines Lock one fresh key at once, Rounds times;
// exactly one may win each round.
func seedRace(t *testing.T, s *seedSuite) {
	for round := range s.opts.Rounds {
		key := s.key(fmt.Sprint("race-", round))
		start := make(chan struct{})
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range s.opts.Racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if s.store.Lock(key) {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if n := wins.Load(); n != 1 {
			t.Fatalf("round %d: %d goroutines locked the fresh key %q, want exactly 1", round, n, key)
		}
		s.store.Unlock(key)
	}
}
