package idempotency_test

// The route table in front of real routers (Go's ServeMux, chi with its
// common middlewares, gorilla/mux), over real HTTP: every request the
// router sends to a marked operation is guarded, however its path is
// escaped, slashed, cased or prefixed. chi and gorilla are test-only
// dependencies; deps_test.go keeps the package itself standard library only.

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/gorilla/mux"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// tableRoutes is the route table of the tests: what NewIdempotencyMiddleware
// would be generated with, every key required.
var tableRoutes = []idempotency.Route{
	{Method: "POST", Pattern: "/payments"},
	{Method: "POST", Pattern: "/payments/{id}/refunds"},
	{Method: "PUT", Pattern: "/{bucket}"},
}

// routerCase is one way to reach a marked operation: the request, the
// route table's options, and per router how the application is wired so
// that the request reaches the operation (nil: that router has no such
// wiring). Each build returns the handler the route table wraps.
type routerCase struct {
	name, method, path string
	opts               []idempotency.Option
	serveMux, chi      func(op http.Handler) http.Handler
	gorilla            func(op http.Handler) http.Handler
}

var routerCases = []routerCase{
	{
		name: "escaped-slash", method: "POST", path: "/payments/p%2F1/refunds",
		serveMux: func(op http.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("POST /payments/{id}/refunds", op)
			return m
		},
		chi: func(op http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Method("POST", "/payments/{id}/refunds", op)
			return r
		},
		gorilla: func(op http.Handler) http.Handler {
			r := mux.NewRouter().UseEncodedPath()
			r.Handle("/payments/{id}/refunds", op).Methods("POST")
			return r
		},
	},
	{
		name: "trailing-slash", method: "POST", path: "/payments/",
		serveMux: func(op http.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("POST /payments", op)
			m.Handle("POST /payments/{$}", op)
			return m
		},
		chi: func(op http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(middleware.StripSlashes)
			r.Method("POST", "/payments", op)
			return r
		},
		gorilla: func(op http.Handler) http.Handler {
			r := mux.NewRouter()
			r.Handle("/payments", op).Methods("POST")
			r.Handle("/payments/", op).Methods("POST")
			return r
		},
	},
	{
		name: "clean-path", method: "POST", path: "//payments",
		chi: func(op http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(middleware.CleanPath)
			r.Method("POST", "/payments", op)
			return r
		},
	},
	{
		name: "letter-case", method: "POST", path: "/PayMents",
		serveMux: func(op http.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("POST /payments", op)
			return lowerPath(m)
		},
		chi: func(op http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Use(lowerRoutePath)
			r.Method("POST", "/payments", op)
			return r
		},
		gorilla: func(op http.Handler) http.Handler {
			r := mux.NewRouter()
			r.MatcherFunc(func(req *http.Request, _ *mux.RouteMatch) bool {
				return strings.EqualFold(req.URL.Path, "/payments")
			}).Methods("POST").Handler(op)
			return r
		},
	},
	{
		name: "strip-prefix", method: "POST", path: "/api/payments",
		serveMux: func(op http.Handler) http.Handler {
			m := http.NewServeMux()
			m.Handle("POST /payments", op)
			return mountStripped(m)
		},
		chi: func(op http.Handler) http.Handler {
			r := chi.NewRouter()
			r.Method("POST", "/payments", op)
			return mountStripped(r)
		},
		gorilla: func(op http.Handler) http.Handler {
			r := mux.NewRouter()
			r.Handle("/payments", op).Methods("POST")
			return mountStripped(r)
		},
	},
	{
		name: "mount", method: "POST", path: "/api/payments/p1/refunds",
		chi: func(op http.Handler) http.Handler {
			sub := chi.NewRouter()
			sub.Method("POST", "/payments/{id}/refunds", op)
			r := chi.NewRouter()
			r.Mount("/api", sub)
			return r
		},
		gorilla: func(op http.Handler) http.Handler {
			r := mux.NewRouter()
			r.PathPrefix("/api").Subrouter().Handle("/payments/{id}/refunds", op).Methods("POST")
			return r
		},
	},
	{
		name: "base-path", method: "POST", path: "/v1/payments",
		opts:     []idempotency.Option{idempotency.WithBasePath("/v1")},
		serveMux: v1ServeMux, chi: v1Chi, gorilla: v1Gorilla,
	},
	{
		// A template of parameters only matches under a prefix only when
		// the prefix is declared.
		name: "base-path-params", method: "PUT", path: "/v1/my-bucket",
		opts:     []idempotency.Option{idempotency.WithBasePath("https://api.example.com/v1")},
		serveMux: v1ServeMux, chi: v1Chi, gorilla: v1Gorilla,
	},
}

func v1ServeMux(op http.Handler) http.Handler {
	m := http.NewServeMux()
	m.Handle("POST /v1/payments", op)
	m.Handle("PUT /v1/{bucket}", op)
	return m
}

func v1Chi(op http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Route("/v1", func(r chi.Router) {
		r.Method("POST", "/payments", op)
		r.Method("PUT", "/{bucket}", op)
	})
	return r
}

func v1Gorilla(op http.Handler) http.Handler {
	r := mux.NewRouter().PathPrefix("/v1").Subrouter()
	r.Handle("/payments", op).Methods("POST")
	r.Handle("/{bucket}", op).Methods("PUT")
	return r
}

// mountStripped mounts app under /api the way the standard library does.
func mountStripped(app http.Handler) http.Handler {
	outer := http.NewServeMux()
	outer.Handle("/api/", http.StripPrefix("/api", app))
	return outer
}

// lowerPath routes case-insensitively in front of a ServeMux.
func lowerPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = strings.ToLower(u.Path), ""
		r2.URL = &u
		next.ServeHTTP(w, &r2)
	})
}

// lowerRoutePath is chi's way to route case-insensitively.
func lowerRoutePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rctx := chi.RouteContext(r.Context()); rctx != nil {
			rctx.RoutePath = strings.ToLower(r.URL.Path)
		}
		next.ServeHTTP(w, r)
	})
}

func TestRouteTableBehindRealRouters(t *testing.T) {
	for _, c := range routerCases {
		for _, kind := range []struct {
			name  string
			build func(http.Handler) http.Handler
		}{{"servemux", c.serveMux}, {"chi", c.chi}, {"gorilla", c.gorilla}} {
			if kind.build == nil {
				continue
			}
			t.Run(c.name+"/"+kind.name, func(t *testing.T) {
				opts := append([]idempotency.Option{idempotency.WithKeyRequired(true)}, c.opts...)
				table := idempotency.NewRouter(idempotency.NewMemoryStore(time.Minute), tableRoutes, opts...)
				op := &operation{}
				srv := httptest.NewServer(table(kind.build(op)))
				defer srv.Close()
				checkGuarded(t, srv, op, c.method, c.path)
			})
		}
	}
}

// An operation the table does not mark runs every time, behind each router.
func TestRouteTableLeavesUnmarkedOperations(t *testing.T) {
	op := &operation{}
	m := http.NewServeMux()
	m.Handle("POST /payments/{id}/notes", op)
	c := chi.NewRouter()
	c.Method("POST", "/payments/{id}/notes", op)
	g := mux.NewRouter()
	g.Handle("/payments/{id}/notes", op).Methods("POST")
	for _, app := range []http.Handler{m, c, g} {
		srv := httptest.NewServer(idempotency.NewRouter(idempotency.NewMemoryStore(time.Minute), tableRoutes,
			idempotency.WithKeyRequired(true))(app))
		before := op.runs.Load()
		for range 2 {
			if resp := send(t, srv, "POST", "/payments/p1/notes", "k"); resp.status != http.StatusCreated {
				t.Errorf("unmarked operation: status %d", resp.status)
			}
		}
		if n := op.runs.Load() - before; n != 2 {
			t.Errorf("unmarked operation ran %d times, want 2", n)
		}
		srv.Close()
	}
}

// checkGuarded sends a keyed request and its retry, then one without a
// key: the operation runs once, the retry replays, the missing key is 400.
func checkGuarded(t *testing.T, srv *httptest.Server, op *operation, method, path string) {
	t.Helper()
	first := send(t, srv, method, path, "key-1")
	if first.status != http.StatusCreated || first.replayed {
		t.Fatalf("first request: status %d, replayed %v, body %q", first.status, first.replayed, first.body)
	}
	retry := send(t, srv, method, path, "key-1")
	if retry.status != http.StatusCreated || !retry.replayed || retry.body != first.body {
		t.Fatalf("retry: status %d, replayed %v, body %q; want the replay of %q", retry.status, retry.replayed, retry.body, first.body)
	}
	missing := send(t, srv, method, path, "")
	if missing.status != http.StatusBadRequest || missing.contentType != "application/problem+json" ||
		missing.code != idempotency.CodeKeyMissing {
		t.Fatalf("no key: status %d, %s, code %q; want 400 problem+json %s", missing.status, missing.contentType, missing.code, idempotency.CodeKeyMissing)
	}
	if n := op.runs.Load(); n != 1 {
		t.Fatalf("the operation ran %d times, want 1", n)
	}
}
