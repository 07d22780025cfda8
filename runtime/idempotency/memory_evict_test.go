package idempotency

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestEvictedOutcome(t *testing.T) {
	if OutcomeEvicted != OutcomeFailOpen+1 {
		t.Fatalf("OutcomeEvicted = %d: new outcomes go after the last one (%d), so existing values never change",
			OutcomeEvicted, OutcomeFailOpen)
	}
	if OutcomeEvicted.String() != "evicted" {
		t.Fatalf("name %q", OutcomeEvicted.String())
	}
}

// TestOnEvictReportsEachEviction: every record evicted to make room is
// reported once, with its key, status and age, on every write path; records
// that merely expired are not evictions.
func TestOnEvictReportsEachEviction(t *testing.T) {
	clk := newStepClock()
	var s *MemoryStore
	var got []Event
	onEvict := func(ev Event) {
		// Reported after the lock is released: the store is usable here.
		for i := range s.shards {
			if !s.shards[i].mu.TryLock() {
				t.Fatal("OnEvict runs with a shard locked")
			}
			s.shards[i].mu.Unlock()
		}
		got = append(got, ev)
	}
	s = NewMemoryStoreWith(MemoryOptions{MaxEntries: 2, clock: clk.Now, OnEvict: onEvict})
	defer s.Close()
	ctx := context.Background()
	complete := func(key string, status int) {
		c, err := s.Claim(ctx, key, "fp", time.Minute)
		if err != nil || c.State != Acquired {
			t.Fatalf("Claim(%q): %v %v", key, c.State, err)
		}
		if err := s.Complete(ctx, key, c.Token, &Record{Status: status}); err != nil {
			t.Fatal(err)
		}
	}
	complete("a", 201)
	clk.Advance(time.Second)
	complete("b", 202)
	clk.Advance(time.Second)
	complete("c", 203) // Claim evicts a, aged 2s
	if len(got) != 1 || got[0].Outcome != OutcomeEvicted || got[0].Key != "a" || got[0].Status != 201 || got[0].Elapsed != 2*time.Second {
		t.Fatalf("events %+v, want one eviction of a (201, 2s old)", got)
	}
	clk.Advance(time.Second)
	s.Set("d", &CachedResponse{StatusCode: 200}) // evicts b
	if !s.Lock("e") {                            // evicts c
		t.Fatal("Lock failed")
	}
	if len(got) != 3 || got[1].Key != "b" || got[2].Key != "c" {
		t.Fatalf("events %+v, want b by Set and c by Lock", got)
	}
	// An expired record making room is not an eviction.
	clk.Advance(48 * time.Hour)
	complete("f", 200)
	if st := s.Stats(); len(got) != 3 || st.Evictions != 3 {
		t.Fatalf("%d events, stats %+v; want 3 evictions, reported and counted alike", len(got), st)
	}
}

// TestOnEvictWithTheMiddlewaresObserver: one function wired to both sees
// the eviction that explains why a retry ran again.
func TestOnEvictWithTheMiddlewaresObserver(t *testing.T) {
	var ev events
	s := NewMemoryStoreWith(MemoryOptions{MaxEntries: 1, OnEvict: ev.observe})
	defer s.Close()
	h := &countingHandler{}
	mw := NewMiddleware(s, WithObserver(ev.observe)).Handler(h)
	for _, key := range []string{"k1", "k2", "k1"} {
		if w := serve(mw, http.MethodPost, "/p", key, "{}"); w.Code != http.StatusCreated {
			t.Fatalf("%s: %d", key, w.Code)
		}
	}
	if h.runs.Load() != 3 || ev.count(OutcomeEvicted) != 2 {
		t.Fatalf("%d runs, events %v; want k1 evicted by k2, and k2 by k1's rerun", h.runs.Load(), ev.outcomes())
	}
	want := fmt.Sprint([]Outcome{OutcomeAcquired, OutcomeCompleted, OutcomeEvicted, OutcomeAcquired, OutcomeCompleted})
	if got := fmt.Sprint(ev.outcomes()[:5]); got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}
