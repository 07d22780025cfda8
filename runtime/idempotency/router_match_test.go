package idempotency

import (
	"net/http/httptest"
	"testing"
	"time"
)

// matchRoutes has the shapes the matcher must tell apart: a literal beside
// a parameter at the same place, a template of parameters only, a rest
// parameter, and chi's regexp syntax.
var matchRoutes = []Route{
	{Method: "POST", Pattern: "/payments"},
	{Method: "POST", Pattern: "/payments/{id}/refunds"},
	{Method: "POST", Pattern: "/payments/{id}"},
	{Method: "POST", Pattern: "/payments/export"},
	{Method: "PUT", Pattern: "/{bucket}"},
	{Method: "PATCH", Pattern: "/files/{path...}"},
	{Method: "GET", Pattern: "/payments"}, // never guarded: GET is safe
}

// TestRouterMatchRules checks which route (by its key scope) each request
// meets, as NewRouter's doc comment lists the rules.
func TestRouterMatchRules(t *testing.T) {
	plain := newRouter(NewMemoryStore(time.Minute), matchRoutes, nil)
	based := newRouter(NewMemoryStore(time.Minute), matchRoutes, []Option{
		WithBasePath("https://api.example.com/v1/", "/{version}/beta"),
	})
	cases := []struct {
		rt                      *router
		method, target, pattern string
		want                    string // the matched route's scope; "" for none
	}{
		{plain, "POST", "/payments", "", "POST /payments"},
		// Escaping: %2F stays inside its segment (ServeMux, chi); other
		// escapes are decoded; a path whose decoding routes elsewhere
		// (gorilla's default) is matched decoded too.
		{plain, "POST", "/payments/p%2F1/refunds", "", "POST /payments/{id}/refunds"},
		{plain, "POST", "/pay%6Dents", "", "POST /payments"},
		{plain, "POST", "/payments%2F7%2Frefunds", "", "POST /payments/{id}/refunds"},
		// Letter case, trailing slash, unclean paths.
		{plain, "POST", "/PayMents", "", "POST /payments"},
		{plain, "post", "/payments", "", "POST /payments"},
		{plain, "POST", "/payments/", "", "POST /payments"},
		{plain, "POST", "//payments//", "", "POST /payments"},
		{plain, "POST", "/x/../payments", "", "POST /payments"},
		{plain, "POST", "/payments//refunds", "", "POST /payments/{id}/refunds"},
		// The most literal route wins, whatever the table's order.
		{plain, "POST", "/payments/export", "", "POST /payments/export"},
		{plain, "POST", "/payments/EXPORT/", "", "POST /payments/export"},
		{plain, "POST", "/payments/p1", "", "POST /payments/{id}"},
		// An unknown mount prefix: the template as a segment suffix.
		{plain, "POST", "/api/payments", "", "POST /payments"},
		{plain, "POST", "/api/v2/payments/p1/refunds", "", "POST /payments/{id}/refunds"},
		{plain, "PATCH", "/api/files/a/b", "", "PATCH /files/{path...}"},
		{plain, "PATCH", "/files", "", "PATCH /files/{path...}"},
		{plain, "POST", "/v1/xpayments", "", ""},
		// Parameters only: exact, or under a declared base path.
		{plain, "PUT", "/my-bucket", "", "PUT /{bucket}"},
		{plain, "PUT", "/v1/my-bucket", "", ""},
		{based, "PUT", "/v1/my-bucket", "", "PUT /{bucket}"},
		{based, "PUT", "/V1/my-bucket/", "", "PUT /{bucket}"},
		{based, "PUT", "/v3/beta/my-bucket", "", "PUT /{bucket}"},
		{based, "PUT", "/v2/my-bucket", "", ""},
		// A mux's pattern: a base URL before the template is allowed; a
		// complete pattern of another operation is trusted, a mount point
		// is not.
		{plain, "POST", "/v1/payments/9/refunds", "POST /v1/payments/{pid}/refunds", "POST /payments/{id}/refunds"},
		{plain, "POST", "/api/payments/5/refunds", "/api/payments/{id:[0-9]+}/refunds", "POST /payments/{id}/refunds"},
		{plain, "POST", "/reports/payments", "POST /reports/{kind}", ""},
		{plain, "POST", "/reports/payments", "", "POST /payments"},
		{plain, "POST", "/api/payments", "/api/", "POST /payments"},
		{plain, "POST", "/api/payments", "/api/*", "POST /payments"},
		{plain, "POST", "/api/payments", "/api/{rest...}", "POST /payments"},
		// Not guarded at all.
		{plain, "GET", "/payments", "", ""},
		{plain, "POST", "/other", "", ""},
		{plain, "POST", "/payments/p1/notes", "", ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, "http://h"+c.target, nil)
		r.Pattern = c.pattern
		got := ""
		if e := c.rt.match(r); e != nil {
			got = e.m.cfg.route
		}
		if got != c.want {
			based := c.rt == based
			t.Errorf("%s %s (pattern %q, base paths %v): matched %q, want %q", c.method, c.target, c.pattern, based, got, c.want)
		}
	}
}

// The route table runs on every request, so finding (or missing) a route
// on a plain path must not allocate. BenchmarkRouterMatch has the timings.
func TestRouterMatchDoesNotAllocate(t *testing.T) {
	rt := newRouter(NewMemoryStore(time.Minute), matchRoutes, []Option{WithBasePath("/v1")})
	for _, target := range []string{"/payments/p1/refunds", "/api/payments/", "/nothing/here", "/v1/bucket"} {
		r := httptest.NewRequest("POST", target, nil)
		if n := testing.AllocsPerRun(100, func() { rt.match(r) }); n != 0 {
			t.Errorf("match(%s) allocates %.0f times", target, n)
		}
	}
}

func TestBasePathForms(t *testing.T) {
	for in, want := range map[string]int{
		"/v1": 1, "v1/": 1, "https://api.example.com/v1/beta?x=1": 2, "https://api.example.com": 0,
		"/": 0, "": 0, " /{version} ": 1,
	} {
		tm, ok := compileBase(in)
		if len(tm.segs) != want || ok != (want > 0) {
			t.Errorf("compileBase(%q) = %d segments (ok %v), want %d", in, len(tm.segs), ok, want)
		}
	}
}
