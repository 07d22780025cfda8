package idempotency

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// TestShardsHoldTheResponseCap checks the sizing arithmetic: a bounded
// store uses few enough shards that each one's share of MaxBytes holds two
// records of the response cap, keys and headers included.
func TestShardsHoldTheResponseCap(t *testing.T) {
	const mib = 1 << 20
	cases := []struct {
		opts   MemoryOptions
		shards int
	}{
		{MemoryOptions{MaxBytes: 64 * mib}, 16},                                    // 4 MiB each, not 64 of 1 MiB
		{MemoryOptions{MaxBytes: 64 * mib, MaxResponseBody: 4 * mib}, 4},           // 16 MiB each
		{MemoryOptions{MaxBytes: 64 * mib, MaxResponseBody: 64 << 10}, 64},         // small records: the 1 MiB floor
		{MemoryOptions{MaxBytes: 64 * mib, Shards: 4}, 4},                          // fewer on request
		{MemoryOptions{MaxBytes: 1 << 30}, 128},                                    // room enough for the default
		{MemoryOptions{MaxBytes: 1 * mib}, 1},                                      // smaller than two records
		{MemoryOptions{MaxBytes: 64 * mib, MaxResponseBody: math.MaxInt64}, 1},     // no overflow
		{MemoryOptions{MaxBytes: 64 * mib, MaxEntries: 64, MaxResponseBody: 1}, 2}, // the entry floor still applies
	}
	for _, tc := range cases {
		name := fmt.Sprintf("MaxBytes=%d,MaxEntries=%d,MaxResponseBody=%d,Shards=%d",
			tc.opts.MaxBytes, tc.opts.MaxEntries, tc.opts.MaxResponseBody, tc.opts.Shards)
		t.Run(name, func(t *testing.T) {
			s := NewMemoryStoreWith(tc.opts)
			defer s.Close()
			if len(s.shards) != tc.shards {
				t.Fatalf("%d shards, want %d", len(s.shards), tc.shards)
			}
			body := tc.opts.MaxResponseBody
			if body == 0 {
				body = DefaultMaxResponseBody
			}
			need := 2 * (body + recordHeadroom)
			if share := s.shards[0].maxBytes; need <= tc.opts.MaxBytes && share < need {
				t.Fatalf("a shard holds %d bytes, less than two records of a %d-byte body", share, body)
			}
		})
	}
}

// TestRecordTooLargeEvictsNothing: a record that cannot fit even an empty
// shard is refused with ErrRecordTooLarge, not ErrStoreFull, and the
// records already there stay (they used to be evicted first, for nothing).
func TestRecordTooLargeEvictsNothing(t *testing.T) {
	s := NewMemoryStoreWith(MemoryOptions{MaxBytes: 1 << 20})
	defer s.Close()
	ctx := context.Background()
	complete := func(key string, body int) error {
		c, err := s.Claim(ctx, key, "fp", time.Minute)
		if err != nil || c.State != Acquired {
			t.Fatalf("Claim(%q): %v %v", key, c.State, err)
		}
		return s.Complete(ctx, key, c.Token, &Record{Status: 201, Body: make([]byte, body)})
	}
	for i := range 5 {
		if err := complete(fmt.Sprint("k", i), 100<<10); err != nil {
			t.Fatal(err)
		}
	}
	err := complete("huge", 2<<20)
	if !errors.Is(err, ErrRecordTooLarge) || errors.Is(err, ErrStoreFull) {
		t.Fatalf("Complete of a 2 MiB record in a 1 MiB store: %v, want ErrRecordTooLarge only", err)
	}
	if st := s.Stats(); st.Evictions != 0 || st.Entries != 6 || st.InFlight != 1 {
		t.Fatalf("stats %+v, want the 5 records and the claim untouched", st)
	}
	for i := range 5 {
		if c, _ := s.Claim(ctx, fmt.Sprint("k", i), "fp", time.Minute); c.State != Completed {
			t.Fatalf("k%d: %v, want still completed", i, c.State)
		}
	}
}

// TestMaxResponseBodyOptionHoldsTheCap: a store told the middleware's cap
// replays a response of exactly that size in full.
func TestMaxResponseBodyOptionHoldsTheCap(t *testing.T) {
	const limit = 4 << 20
	clk := newStepClock()
	s := NewMemoryStoreWith(MemoryOptions{MaxBytes: 64 << 20, MaxResponseBody: limit, clock: clk.Now})
	defer s.Close()
	h := &bigHandler{n: limit}
	mw := NewMiddleware(s, WithMaxResponseBody(limit)).Handler(h)
	if w := serve(mw, http.MethodPost, "/things", "order-1", "{}"); w.Code != http.StatusCreated {
		t.Fatalf("first: %d", w.Code)
	}
	clk.Advance(2 * DefaultLease)
	retry := serve(mw, http.MethodPost, "/things", "order-1", "{}")
	if h.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", h.runs.Load())
	}
	wantReplay(t, retry, limit, true)
}
