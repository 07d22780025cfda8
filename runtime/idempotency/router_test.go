package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func testRouter(ev *events) func(http.Handler) http.Handler {
	return NewRouter(NewMemoryStore(time.Minute), []Route{
		{Method: "POST", Pattern: "/payments"},
		{Method: "post", Pattern: "/payments/{id}/refunds", Options: []Option{WithKeyRequired(true)}},
		{Method: "PATCH", Pattern: "/files/{path...}"},
	}, WithObserver(ev.observe))
}

func TestRouterMatchesPathTemplates(t *testing.T) {
	var ev events
	h := &countingHandler{}
	mw := testRouter(&ev)(h)
	cases := []struct {
		method, path string
		guarded      bool
	}{
		{"POST", "/payments", true},
		{"POST", "/payments/7/refunds", true},
		{"PATCH", "/files/a/b/c", true},
		{"GET", "/payments", false},
		{"POST", "/payments/7", false},
		{"POST", "/payments//refunds", true}, // chi routes it, with an empty {id}
		{"POST", "/payments/7/refunds/x", false},
		{"POST", "/other", false},
	}
	for _, c := range cases {
		before := h.runs.Load()
		serve(mw, c.method, c.path, "k-"+c.path, `{}`)
		serve(mw, c.method, c.path, "k-"+c.path, `{}`)
		runs := h.runs.Load() - before
		if c.guarded && runs != 1 || !c.guarded && runs != 2 {
			t.Errorf("%s %s: handler ran %d times (guarded=%v)", c.method, c.path, runs, c.guarded)
		}
	}
	// Per-route options apply to their route only.
	wantProblem(t, serve(mw, "POST", "/payments/7/refunds", "", "{}"), http.StatusBadRequest, CodeKeyMissing)
	if w := serve(mw, "POST", "/payments", "", "{}"); w.Code != http.StatusCreated {
		t.Fatalf("key optional on /payments: %d", w.Code)
	}
	// Events name the route's operation, not the concrete path.
	found := false
	for _, e := range ev.got {
		found = found || e.Route == "POST /payments/{id}/refunds"
	}
	if !found {
		t.Fatal("no event carried the route pattern")
	}
}

func TestRouterUsesRequestPattern(t *testing.T) {
	var ev events
	h := &countingHandler{}
	rt := testRouter(&ev)
	mux := http.NewServeMux()
	// A base URL prefix in the mux pattern, as oapi-codegen's BaseURL makes.
	mux.Handle("POST /v1/payments/{pid}/refunds", rt(h))
	mux.Handle("POST /v1/other/{x}", rt(h))
	serve(mux, "POST", "/v1/payments/9/refunds", "k", "{}")
	serve(mux, "POST", "/v1/payments/9/refunds", "k", "{}")
	if h.runs.Load() != 1 {
		t.Fatalf("ServeMux pattern: handler ran %d times, want 1", h.runs.Load())
	}
	serve(mux, "POST", "/v1/other/1", "k", "{}")
	serve(mux, "POST", "/v1/other/1", "k", "{}")
	if h.runs.Load() != 3 {
		t.Fatalf("unmatched pattern must pass through: runs %d", h.runs.Load())
	}

	// chi sets the pattern without the method, with its own parameter syntax.
	h2 := &countingHandler{}
	mw := rt(h2)
	for range 2 {
		r := httptest.NewRequest("POST", "/api/payments/5/refunds", strings.NewReader("{}"))
		r.Pattern = "/api/payments/{id:[0-9]+}/refunds"
		r.Header.Set(HeaderIdempotencyKey, "k-chi") // same operation as above: a new key
		mw.ServeHTTP(httptest.NewRecorder(), r)
	}
	if h2.runs.Load() != 1 {
		t.Fatalf("chi-style pattern: handler ran %d times, want 1", h2.runs.Load())
	}
}

func TestPatternHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"POST /a/{id}":             "/a/{id}",
		"/a/{id}":                  "/a/{id}",
		"POST example.com/a/{id}":  "/a/{id}",
		"example.com/a":            "/a",
		"  PATCH   /files/{p...} ": "/files/{p...}",
	} {
		if got := pathOfPattern(in); got != want {
			t.Errorf("pathOfPattern(%q) = %q, want %q", in, got, want)
		}
	}
	split := func(s string) []string { return splitSegs(nil, s) }
	end := compileTemplate("/a/{$}")
	if !end.matchAt(split("/a/"), false) || !end.matchAt(split("/a"), false) || end.matchAt(split("/a/b"), false) {
		t.Error("{$} must match the path itself, with or without its trailing slash")
	}
	pay := compileTemplate("/payments")
	if pay.matchPattern(split("/v1/xpayments"), false) || pay.matchSuffix(split("/v1/xpayments"), false) {
		t.Error("suffix match must respect segment boundaries")
	}
}
