package idempotency

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingHandler answers 201 with a JSON body naming how many times it
// ran, echoing the request body, so a replay is told from a second run.
type countingHandler struct {
	runs atomic.Int64
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := h.runs.Add(1)
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Multi", "a")
	w.Header().Add("X-Multi", "b")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"run":`+itoa(n)+`,"echo":`+jsonString(string(body))+`}`)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// serve runs one in-process request through h.
func serve(h http.Handler, method, target, key, body string, hdr ...string) *httptest.ResponseRecorder {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if key != "" {
		r.Header.Set(HeaderIdempotencyKey, key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

type problemBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

// wantProblem checks an RFC 9457 response with the given status and code.
func wantProblem(t *testing.T, w *httptest.ResponseRecorder, status int, code string) problemBody {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %q", w.Code, status, w.Body.String())
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want %q", ct, "application/problem+json")
	}
	var p problemBody
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", w.Body.String(), err)
	}
	if p.Code != code || p.Status != status || p.Type != "urn:idemgen:problem:"+code || p.Title == "" || p.Detail == "" {
		t.Fatalf("problem = %+v, want code %q status %d with type, title and detail", p, code, status)
	}
	return p
}

// events records observer events.
type events struct {
	mu  sync.Mutex
	got []Event
}

func (e *events) observe(ev Event) {
	e.mu.Lock()
	e.got = append(e.got, ev)
	e.mu.Unlock()
}

func (e *events) outcomes() []Outcome {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Outcome, len(e.got))
	for i, ev := range e.got {
		out[i] = ev.Outcome
	}
	return out
}

// count reports how many times o was observed.
func (e *events) count(o Outcome) int {
	n := 0
	for _, x := range e.outcomes() {
		if x == o {
			n++
		}
	}
	return n
}

func (e *events) has(o Outcome) bool { return e.count(o) > 0 }

// faultyStore wraps a ClaimStore and fails the operations switched on.
type faultyStore struct {
	ClaimStore
	failClaim, failComplete atomic.Bool
	completes, abandons     atomic.Int64
}

var errInjected = errors.New("injected store failure")

func (f *faultyStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (Claim, error) {
	if f.failClaim.Load() {
		return Claim{}, errInjected
	}
	return f.ClaimStore.Claim(ctx, key, fp, lease)
}

func (f *faultyStore) Complete(ctx context.Context, key, token string, rec *Record) error {
	f.completes.Add(1)
	if f.failComplete.Load() {
		return errInjected
	}
	return f.ClaimStore.Complete(ctx, key, token, rec)
}

func (f *faultyStore) Abandon(ctx context.Context, key, token string) error {
	f.abandons.Add(1)
	return f.ClaimStore.Abandon(ctx, key, token)
}

// seedOnly hides MemoryStore's ClaimStore methods: a store a user wrote
// against the seed interface alone.
type seedOnly struct{ s *MemoryStore }

func (s seedOnly) Get(k string) (*CachedResponse, bool) { return s.s.Get(k) }
func (s seedOnly) Set(k string, r *CachedResponse)      { s.s.Set(k, r) }
func (s seedOnly) Delete(k string)                      { s.s.Delete(k) }
func (s seedOnly) Lock(k string) bool                   { return s.s.Lock(k) }
func (s seedOnly) Unlock(k string)                      { s.s.Unlock(k) }
