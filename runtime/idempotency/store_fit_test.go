package idempotency

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stepClock is a store clock that tests move by hand, so that a lease can
// lapse without sleeping. It starts at the real time because the
// middleware dates records by the real clock.
type stepClock struct{ ns atomic.Int64 }

func newStepClock() *stepClock {
	c := &stepClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *stepClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *stepClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// bigHandler answers 201 with n bytes of payload and counts its runs.
type bigHandler struct {
	n    int
	runs atomic.Int64
}

func (h *bigHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.runs.Add(1)
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Location", "/things/1")
	w.WriteHeader(http.StatusCreated)
	w.Write(payload(h.n))
}

func payload(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n] }

// wantReplay checks a retry's answer: the stored 201 and its headers, with
// the whole body (full) or none and Idempotency-Replay: omitted.
func wantReplay(t *testing.T, w *httptest.ResponseRecorder, n int, full bool) {
	t.Helper()
	res := w.Result()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusCreated || res.Header.Get(HeaderIdempotencyReplayed) != "true" ||
		res.Header.Get("Location") != "/things/1" {
		t.Fatalf("retry: %d, headers %v; want the replayed 201", res.StatusCode, res.Header)
	}
	switch {
	case full && (!bytes.Equal(body, payload(n)) || res.Header.Get("Idempotency-Replay") != ""):
		t.Fatalf("retry: %d bytes, Idempotency-Replay %q; want the whole %d-byte body replayed",
			len(body), res.Header.Get("Idempotency-Replay"), n)
	case !full && (len(body) != 0 || res.Header.Get("Idempotency-Replay") != "omitted" || res.Header.Get("Content-Length") != ""):
		t.Fatalf("retry: %d bytes, headers %v; want status and headers only, Idempotency-Replay: omitted", len(body), res.Header)
	}
}

// TestResponseTheStoreCannotHoldNeverRunsTwice: a bounded store used to
// refuse a response under the middleware's cap (its 1 MiB shards could not
// hold a 1,048,000-byte record), so nothing was stored and the retry after
// the lease ran the handler again. Now each shard holds two records of the
// response cap, and a response that still does not fit keeps its status
// and headers.
func TestResponseTheStoreCannotHoldNeverRunsTwice(t *testing.T) {
	cases := []struct {
		name string
		opts MemoryOptions
		mw   []Option
		n    int
		full bool // the body is replayed too
	}{
		{"64 MiB store, 1,048,000 bytes under the default cap", MemoryOptions{MaxBytes: 64 << 20}, nil, 1_048_000, true},
		{"64 MiB store, 2 MB under a 4 MiB cap", MemoryOptions{MaxBytes: 64 << 20}, []Option{WithMaxResponseBody(4 << 20)}, 2_000_000, true},
		{"1 MiB store, 1,048,000 bytes", MemoryOptions{MaxBytes: 1 << 20}, nil, 1_048_000, false},
		{"64 MiB store not told of a 4 MiB cap, 4 MiB", MemoryOptions{MaxBytes: 64 << 20}, []Option{WithMaxResponseBody(4 << 20)}, 4 << 20, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := newStepClock()
			tc.opts.clock = clk.Now
			s := NewMemoryStoreWith(tc.opts)
			defer s.Close()
			h := &bigHandler{n: tc.n}
			var ev events
			mw := NewMiddleware(s, append(tc.mw, WithObserver(ev.observe))...).Handler(h)
			first := serve(mw, http.MethodPost, "/things", "order-1", "{}")
			if first.Code != http.StatusCreated || first.Body.Len() != tc.n {
				t.Fatalf("first: %d with %d bytes, want 201 with %d", first.Code, first.Body.Len(), tc.n)
			}
			for _, e := range ev.got {
				if e.Outcome == OutcomeStoreError {
					t.Fatalf("completing a %d-byte response: %v", tc.n, e.Err)
				}
			}
			// Were the key only claimed, this would let a retry take it over.
			clk.Advance(2 * DefaultLease)
			retry := serve(mw, http.MethodPost, "/things", "order-1", "{}")
			if n := h.runs.Load(); n != 1 {
				t.Fatalf("handler ran %d times: a response already sent must never run again", n)
			}
			wantReplay(t, retry, tc.n, tc.full)
		})
	}
}

// fillWithClaims takes keys until the store refuses one, as requests still
// running would, and returns their tokens by key.
func fillWithClaims(t *testing.T, s *MemoryStore) map[string]string {
	t.Helper()
	held := map[string]string{}
	for i := 0; ; i++ {
		key := fmt.Sprintf("fill-%06d", i)
		c, err := s.Claim(context.Background(), key, "fp", time.Hour)
		if errors.Is(err, ErrStoreFull) {
			return held
		}
		if err != nil || c.State != Acquired {
			t.Fatalf("Claim(%q): %v %v", key, c.State, err)
		}
		held[key] = c.Token
	}
}

// TestFullStoreKeepsStatusAndHeaders: a store whose room is taken by live
// claims cannot hold the body, but can hold status and headers.
func TestFullStoreKeepsStatusAndHeaders(t *testing.T) {
	clk := newStepClock()
	s := NewMemoryStoreWith(MemoryOptions{MaxBytes: 1 << 20, clock: clk.Now})
	defer s.Close()
	const n = 16 << 10
	big := &bigHandler{n: n}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Others fill the store while this request runs, then a few finish:
		// a couple of KiB are free, far less than the body.
		freed := 0
		for key, tok := range fillWithClaims(t, s) {
			if freed == 8 {
				break
			}
			if err := s.Abandon(context.Background(), key, tok); err != nil {
				t.Error(err)
			}
			freed++
		}
		big.ServeHTTP(w, r)
	})
	var ev events
	mw := NewMiddleware(s, WithObserver(ev.observe)).Handler(h)
	if w := serve(mw, http.MethodPost, "/things", "order-1", "{}"); w.Code != http.StatusCreated || w.Body.Len() != n {
		t.Fatalf("first: %d with %d bytes", w.Code, w.Body.Len())
	}
	completed := false
	for _, e := range ev.got {
		if e.Outcome == OutcomeStoreError {
			t.Fatalf("store error: %v", e.Err)
		}
		if e.Outcome == OutcomeCompleted {
			completed = true
			if !errors.Is(e.Err, ErrStoreFull) {
				t.Fatalf("completed event Err = %v, want the refusal of the whole record (ErrStoreFull)", e.Err)
			}
		}
	}
	if !completed {
		t.Fatalf("events %v, want completed", ev.outcomes())
	}
	clk.Advance(2 * DefaultLease)
	retry := serve(mw, http.MethodPost, "/things", "order-1", "{}")
	if big.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", big.runs.Load())
	}
	wantReplay(t, retry, n, false)
}

// TestStoreTooFullEvenForHeaders pins down the last resort: with no room
// even for status and headers, the failure is reported, the claim is kept
// (not abandoned), so retries get 409 until its lease ends; only a retry
// after that runs the handler again.
func TestStoreTooFullEvenForHeaders(t *testing.T) {
	clk := newStepClock()
	s := NewMemoryStoreWith(MemoryOptions{MaxBytes: 1 << 20, clock: clk.Now})
	defer s.Close()
	var held map[string]string
	big := &bigHandler{n: 100}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if held == nil {
			held = fillWithClaims(t, s)
		}
		// The claims leave less room than one more claim takes; headers
		// of a few hundred bytes do not fit in it.
		w.Header().Set("Link", "</things/1/"+strings.Repeat("x", 512)+">; rel=self")
		big.ServeHTTP(w, r)
	})
	var ev events
	mw := NewMiddleware(s, WithObserver(ev.observe), WithCompleteRetry(0)).Handler(h)
	if w := serve(mw, http.MethodPost, "/things", "order-1", "{}"); w.Code != http.StatusCreated {
		t.Fatalf("first: %d", w.Code)
	}
	if ev.has(OutcomeCompleted) || ev.count(OutcomeStoreError) != 1 {
		t.Fatalf("events %v, want one store_error and no completed", ev.outcomes())
	}
	for _, e := range ev.got {
		if e.Outcome == OutcomeStoreError && !errors.Is(e.Err, ErrStoreFull) {
			t.Fatalf("store_error Err = %v, want ErrStoreFull", e.Err)
		}
	}
	wantProblem(t, serve(mw, http.MethodPost, "/things", "order-1", "{}"), http.StatusConflict, CodeKeyInUse)
	if big.runs.Load() != 1 {
		t.Fatalf("handler ran %d times within the lease", big.runs.Load())
	}
	// The documented window: once the lease is over, the key can be taken.
	clk.Advance(DefaultLease + time.Second)
	if w := serve(mw, http.MethodPost, "/things", "order-1", "{}"); w.Code != http.StatusCreated || !ev.has(OutcomeExpiredTakeover) {
		t.Fatalf("after the lease: %d, events %v", w.Code, ev.outcomes())
	}
	if big.runs.Load() != 2 {
		t.Fatalf("handler ran %d times", big.runs.Load())
	}
}
