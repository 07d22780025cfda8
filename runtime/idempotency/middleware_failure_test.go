package idempotency

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPanicPropagatesAndReleasesClaim(t *testing.T) {
	var ev events
	store := NewMemoryStore(time.Minute)
	m := NewMiddleware(store, WithObserver(ev.observe))
	calls := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			panic("boom")
		}
		w.WriteHeader(http.StatusCreated)
	})
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Fatalf("recovered %v, want the handler's panic", v)
			}
		}()
		serve(m.Handler(h), http.MethodPost, "/p", "k", "{}")
	}()
	if !ev.has(OutcomeAbandoned) {
		t.Fatalf("events %v, want abandoned", ev.outcomes())
	}
	// The key is free again: the retry runs the handler.
	if w := serve(m.Handler(h), http.MethodPost, "/p", "k", "{}"); w.Code != http.StatusCreated || calls != 2 {
		t.Fatalf("retry after panic: %d, calls %d", w.Code, calls)
	}
}

func TestServerErrors(t *testing.T) {
	h := func(runs *int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*runs++
			http.Error(w, "down", http.StatusBadGateway)
		})
	}
	t.Run("not stored by default", func(t *testing.T) {
		var runs int
		var ev events
		mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h(&runs))
		for range 2 {
			if w := serve(mw, http.MethodPost, "/p", "k", "{}"); w.Code != http.StatusBadGateway {
				t.Fatalf("code %d", w.Code)
			}
		}
		if runs != 2 || !ev.has(OutcomeNotStored) {
			t.Fatalf("runs %d, events %v; want 2 runs and not_stored", runs, ev.outcomes())
		}
	})
	t.Run("stored when configured", func(t *testing.T) {
		var runs int
		mw := NewMiddleware(NewMemoryStore(time.Minute), WithStoreServerErrors(true)).Handler(h(&runs))
		serve(mw, http.MethodPost, "/p", "k", "{}")
		w := serve(mw, http.MethodPost, "/p", "k", "{}")
		if runs != 1 || w.Code != http.StatusBadGateway || w.Header().Get(HeaderIdempotencyReplayed) != "true" {
			t.Fatalf("runs %d, code %d", runs, w.Code)
		}
	})
	t.Run("4xx is stored", func(t *testing.T) {
		var runs int
		mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			runs++
			http.Error(w, "card declined", http.StatusPaymentRequired)
		}))
		serve(mw, http.MethodPost, "/p", "k", "{}")
		w := serve(mw, http.MethodPost, "/p", "k", "{}")
		if runs != 1 || w.Code != http.StatusPaymentRequired || !strings.Contains(w.Body.String(), "card declined") {
			t.Fatalf("runs %d, replay %d %q", runs, w.Code, w.Body)
		}
	})
}

func TestStreamedAndOversizedResponsesOmitBody(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"flushed": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			io.WriteString(w, "data: 1\n\n")
			http.NewResponseController(w).Flush()
			io.WriteString(w, "data: 2\n\n")
		},
		"over cap": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Header().Set("Content-Length", "100")
			io.WriteString(w, strings.Repeat("x", 100))
		},
	}
	for name, hf := range cases {
		t.Run(name, func(t *testing.T) {
			runs := 0
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { runs++; hf(w, r) })
			mw := NewMiddleware(NewMemoryStore(time.Minute), WithMaxResponseBody(64)).Handler(h)
			first := serve(mw, http.MethodPost, "/p", "k", "{}")
			if first.Code != http.StatusOK || first.Body.Len() == 0 {
				t.Fatalf("first: %d %q (must be sent as written)", first.Code, first.Body)
			}
			r := httptest.NewRequest(http.MethodPost, "/p", strings.NewReader("{}"))
			r.Header.Set(HeaderIdempotencyKey, "k")
			rr := httptest.NewRecorder()
			mw.ServeHTTP(rr, r)
			if runs != 1 {
				t.Fatalf("handler ran %d times: a completed operation must not run again", runs)
			}
			if rr.Code != http.StatusOK || rr.Body.Len() != 0 || rr.Header().Get("Idempotency-Replay") != "omitted" ||
				rr.Header().Get(HeaderIdempotencyReplayed) != "true" || rr.Header().Get("Content-Type") != "text/event-stream" ||
				rr.Header().Get("Content-Length") != "" {
				t.Fatalf("replay: %d %q %v", rr.Code, rr.Body, rr.Header())
			}
		})
	}
}

func TestStoreFailure(t *testing.T) {
	t.Run("fail closed", func(t *testing.T) {
		fs := &faultyStore{ClaimStore: NewMemoryStore(time.Minute)}
		fs.failClaim.Store(true)
		h := &countingHandler{}
		var ev events
		mw := New(fs, WithObserver(ev.observe)).Handler(h)
		wantProblem(t, serve(mw, http.MethodPost, "/p", "k", "{}"), http.StatusServiceUnavailable, CodeStoreUnavailable)
		if h.runs.Load() != 0 || !ev.has(OutcomeStoreError) {
			t.Fatalf("runs %d, events %v", h.runs.Load(), ev.outcomes())
		}
	})
	t.Run("fail open", func(t *testing.T) {
		fs := &faultyStore{ClaimStore: NewMemoryStore(time.Minute)}
		fs.failClaim.Store(true)
		h := &countingHandler{}
		var ev events
		mw := New(fs, WithFailOpen(true), WithObserver(ev.observe)).Handler(h)
		w := serve(mw, http.MethodPost, "/p", "k", `{"a":1}`)
		if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `{\"a\":1}`) || !ev.has(OutcomeFailOpen) {
			t.Fatalf("fail open: %d %q %v", w.Code, w.Body, ev.outcomes())
		}
	})
	t.Run("complete fails", func(t *testing.T) {
		fs := &faultyStore{ClaimStore: NewMemoryStore(time.Minute)}
		fs.failComplete.Store(true)
		var ev events
		mw := New(fs, WithObserver(ev.observe), WithCompleteRetry(50*time.Millisecond)).Handler(&countingHandler{})
		if w := serve(mw, http.MethodPost, "/p", "k", "{}"); w.Code != http.StatusCreated {
			t.Fatalf("the response was already sent: got %d", w.Code)
		}
		if !ev.has(OutcomeStoreError) {
			t.Fatalf("events %v, want store_error", ev.outcomes())
		}
	})
}

func TestHijackedResponseIsNotStored(t *testing.T) {
	var runs atomic.Int64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack through the recorder: %v", err)
			return
		}
		rw.WriteString("HTTP/1.1 201 Created\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		rw.Flush()
		conn.Close()
	})
	var ev events
	srv := httptest.NewServer(NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h))
	defer srv.Close()
	for i := range 2 {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/p", strings.NewReader("{}"))
		req.Header.Set(HeaderIdempotencyKey, "k")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || resp.Header.Get(HeaderIdempotencyReplayed) != "" {
			t.Fatalf("request %d: status %d replayed %q", i, resp.StatusCode, resp.Header.Get(HeaderIdempotencyReplayed))
		}
		// The hijacking handler answered before it returned, so the client
		// can get here before the middleware has released the key: wait for
		// the release, as a client retrying after a delay would.
		for deadline := time.Now().Add(10 * time.Second); ev.count(OutcomeNotStored) <= i; {
			if time.Now().After(deadline) {
				t.Fatalf("request %d: events %v: a hijacked response must release the key", i, ev.outcomes())
			}
			time.Sleep(time.Millisecond)
		}
	}
	if n := runs.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2: a hijacked response is never replayed", n)
	}
}

// oddStore answers every Claim with a fixed, possibly nonsensical, claim.
type oddStore struct{ c Claim }

func (s oddStore) Claim(context.Context, string, string, time.Duration) (Claim, error) {
	return s.c, nil
}
func (s oddStore) Complete(context.Context, string, string, *Record) error    { return nil }
func (s oddStore) Abandon(context.Context, string, string) error              { return nil }
func (s oddStore) Renew(context.Context, string, string, time.Duration) error { return nil }
func (s oddStore) TTL() time.Duration                                         { return 0 }

func TestNonsenseFromTheStoreIs503(t *testing.T) {
	for name, c := range map[string]Claim{
		"zero state":          {},
		"unknown state":       {State: 99},
		"completed no record": {State: Completed},
		"status 0":            {State: Completed, Record: &Record{}},
		"status 42":           {State: Completed, Record: &Record{Status: 42}},
		"status 1000":         {State: Completed, Record: &Record{Status: 1000}},
	} {
		t.Run(name, func(t *testing.T) {
			h := &countingHandler{}
			m := New(oddStore{c: c})
			if m.ttl != DefaultTTL {
				t.Fatalf("a store TTL of 0 must fall back to DefaultTTL, got %v", m.ttl)
			}
			wantProblem(t, serve(m.Handler(h), http.MethodPost, "/p", "k", "{}"), http.StatusServiceUnavailable, CodeStoreUnavailable)
			if h.runs.Load() != 0 {
				t.Fatal("handler ran")
			}
		})
	}
}
