package idempotency

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// checkKey runs m.CheckKey on one request and reports its answer, with
// what it wrote.
func checkKey(m *Middleware, method, key string, hdr ...string) (bool, *httptest.ResponseRecorder) {
	r := httptest.NewRequest(method, "/payments", nil)
	if key != "" {
		r.Header.Set(HeaderIdempotencyKey, key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	return m.CheckKey(w, r), w
}

func TestCheckKeyAnswersAsServe(t *testing.T) {
	ev := &events{}
	required := New(NewMemoryStore(0), WithKeyRequired(true), WithObserver(ev.observe))
	optional := New(NewMemoryStore(0))

	if ok, w := checkKey(required, http.MethodPost, ""); ok {
		t.Fatal("a missing required key went on")
	} else {
		wantProblem(t, w, http.StatusBadRequest, CodeKeyMissing)
	}
	if !ev.has(OutcomeKeyMissing) {
		t.Errorf("no key_missing event: %v", ev.outcomes())
	}
	if ok, w := checkKey(required, http.MethodPost, "", HeaderIdempotencyKey, "a", HeaderIdempotencyKey, "b"); ok {
		t.Fatal("a repeated key went on")
	} else {
		wantProblem(t, w, http.StatusBadRequest, CodeKeyInvalid)
	}
	if ok, w := checkKey(optional, http.MethodPost, "a,b"); ok {
		t.Fatal("a list of keys went on")
	} else {
		wantProblem(t, w, http.StatusBadRequest, CodeKeyInvalid)
	}
	if !ev.has(OutcomeKeyInvalid) {
		t.Errorf("no key_invalid event: %v", ev.outcomes())
	}

	for _, tc := range []struct {
		name   string
		m      *Middleware
		method string
		key    string
	}{
		{"valid key", required, http.MethodPost, "pay-1"},
		{"optional key absent", optional, http.MethodPost, ""},
		{"method not guarded", required, http.MethodGet, ""},
	} {
		ok, w := checkKey(tc.m, tc.method, tc.key)
		if !ok || w.Body.Len() > 0 || w.Code != http.StatusOK || len(w.Header()) > 0 {
			t.Errorf("%s: CheckKey = %v and wrote %d %q %v, want true and nothing written", tc.name, ok, w.Code, w.Body.String(), w.Header())
		}
	}
}

// The route table's key check refuses what the route's middleware would
// refuse, only on its routes, and lets the rest through to next unchanged.
func TestNewKeyCheck(t *testing.T) {
	next := &countingHandler{}
	h := NewKeyCheck([]Route{
		{Method: "POST", Pattern: "/payments/{id}/refunds", Options: []Option{WithKeyRequired(true)}},
		{Method: "POST", Pattern: "/payments"},
	}, WithBasePath("/v1"))(next)

	wantProblem(t, serve(h, "POST", "/v1/payments/p1/refunds", "", ""), http.StatusBadRequest, CodeKeyMissing)
	wantProblem(t, serve(h, "POST", "/payments/p%2F1/refunds", "", ""), http.StatusBadRequest, CodeKeyMissing)
	wantProblem(t, serve(h, "POST", "/v1/payments", "", "", HeaderIdempotencyKey, "a", HeaderIdempotencyKey, "a"), http.StatusBadRequest, CodeKeyInvalid)
	if n := next.runs.Load(); n != 0 {
		t.Fatalf("next ran %d times for refused keys", n)
	}
	for _, tc := range []struct{ method, target, key string }{
		{"POST", "/v1/payments/p1/refunds", "r-1"},
		{"POST", "/v1/payments", ""},
		{"POST", "/v1/payments/p1/capture", ""},
		{"GET", "/v1/payments/p1/refunds", ""},
	} {
		before := next.runs.Load()
		if w := serve(h, tc.method, tc.target, tc.key, ""); w.Code != http.StatusCreated || next.runs.Load() != before+1 {
			t.Errorf("%s %s key %q: %d, next ran %d times; want it passed to next once", tc.method, tc.target, tc.key, w.Code, next.runs.Load()-before)
		}
	}
	// The key check claims nothing: the same key goes through every time.
	before := next.runs.Load()
	for range 2 {
		serve(h, "POST", "/v1/payments", "same", `{}`)
	}
	if got := next.runs.Load() - before; got != 2 {
		t.Errorf("a retried key reached next %d times, want 2: the key check must not replay", got)
	}
}
