package idempotency

// Benchmarks of the route table: BenchmarkRouterMatch times finding a
// request's route alone, BenchmarkRouterServe a replay through NewRouter
// beside the same replay through a bare Middleware. Run before and after a
// change to the matcher:
//
//	go test -run '^$' -bench Router -benchmem -count 6 -cpu 1,2 ./runtime/idempotency | tee b.txt

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// benchRoutes is a route table of the size a real API has.
var benchRoutes = []Route{
	{Method: "POST", Pattern: "/payments"},
	{Method: "POST", Pattern: "/payments/{id}/capture"},
	{Method: "POST", Pattern: "/payments/{id}/refunds"},
	{Method: "PATCH", Pattern: "/payments/{id}"},
	{Method: "POST", Pattern: "/customers"},
	{Method: "PATCH", Pattern: "/customers/{id}"},
	{Method: "POST", Pattern: "/customers/{id}/sources"},
	{Method: "POST", Pattern: "/invoices/{id}/pay"},
	{Method: "POST", Pattern: "/transfers"},
	{Method: "POST", Pattern: "/files/{path...}"},
}

func BenchmarkRouterMatch(b *testing.B) {
	rt := newRouter(NewMemoryStore(time.Hour), benchRoutes, nil)
	cases := []struct {
		name, method, target, pattern string
		hit                           bool
	}{
		{"exact", "POST", "/payments/pay_1NXWPnCo6bFb1KQto6tVmiJa/refunds", "", true},
		{"first", "POST", "/payments", "", true},
		{"unmatched", "POST", "/customers/cus_OKWM9d0PV1s1Ur/notes", "", false},
		{"get", "GET", "/payments/pay_1NXWPnCo6bFb1KQto6tVmiJa", "", false},
		{"pattern", "POST", "/v1/payments/pay_1/refunds", "POST /v1/payments/{id}/refunds", true},
	}
	for _, c := range cases {
		b.Run("path="+c.name, func(b *testing.B) {
			r := httptest.NewRequest(c.method, c.target, nil)
			r.Pattern = c.pattern
			if got := rt.match(r) != nil; got != c.hit {
				b.Fatalf("%s %s: matched %v, want %v", c.method, c.target, got, c.hit)
			}
			b.ReportAllocs()
			for b.Loop() {
				rt.match(r)
			}
		})
	}
}

func BenchmarkRouterServe(b *testing.B) {
	impls := []benchImpl{
		{"middleware", func(h http.Handler) http.Handler {
			return New(NewMemoryStore(time.Hour), WithRoute("POST /payments")).Handler(h)
		}},
		{"router", func(h http.Handler) http.Handler {
			return NewRouter(NewMemoryStore(time.Hour), benchRoutes)(h)
		}},
	}
	for _, impl := range impls {
		b.Run("path=hit/impl="+impl.name, func(b *testing.B) {
			c := newClient(impl.wrap(mwBenchHandler), "")
			c.r.URL.Path = "/payments"
			c.do("hit-key", 0)
			b.ReportAllocs()
			for b.Loop() {
				if c.do("hit-key", 0) != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
		})
	}
}
