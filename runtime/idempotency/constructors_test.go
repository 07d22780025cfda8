package idempotency

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// AdaptStore is the one adapter: a ClaimStore passes through, nil stays
// nil, and only a seed-only store gets the adapter, which the middleware
// recognises (it renews no leases over it).
func TestAdaptStore(t *testing.T) {
	mem := NewMemoryStore(time.Minute)
	if cs := AdaptStore(mem); cs != ClaimStore(mem) {
		t.Fatalf("AdaptStore(*MemoryStore) = %T, want the store itself", cs)
	}
	if cs := AdaptStore(nil); cs != nil {
		t.Fatalf("AdaptStore(nil) = %T, want nil", cs)
	}
	a, ok := AdaptStore(seedOnly{mem}).(*seedStore)
	if !ok {
		t.Fatal("AdaptStore(seed-only store) is not the seed adapter")
	}
	if !New(a).seed || New(mem).seed {
		t.Fatal("New must know the seed adapter, and only it, as the store without leases")
	}
	if New(nil).store != ClaimStore(GetDefaultStore()) || NewMiddleware(nil).store != ClaimStore(GetDefaultStore()) {
		t.Fatal("a nil store must mean GetDefaultStore")
	}
}

// New(AdaptStore(s)) is NewMiddleware(s): the same store, flags and TTL,
// and the same answers to the same requests.
func TestNewOfAdaptStoreIsNewMiddleware(t *testing.T) {
	for name, store := range map[string]func() Store{
		"seed-only": func() Store { return seedOnly{NewMemoryStore(time.Minute)} },
		"claim":     func() Store { return NewMemoryStore(time.Minute) },
	} {
		t.Run(name, func(t *testing.T) {
			a, b := New(AdaptStore(store())), NewMiddleware(store())
			if a.seed != b.seed || a.ttl != b.ttl {
				t.Fatalf("New(AdaptStore): seed %v ttl %v; NewMiddleware: seed %v ttl %v", a.seed, a.ttl, b.seed, b.ttl)
			}
			got := [2][]string{}
			for i, m := range []*Middleware{a, b} {
				h := m.Handler(&countingHandler{})
				for _, body := range []string{`{"a":1}`, `{"a":1}`, `{"a":2}`} {
					w := serve(h, http.MethodPost, "/p", "k", body)
					got[i] = append(got[i], w.Result().Status+" "+w.Header().Get(HeaderIdempotencyReplayed)+" "+w.Body.String())
				}
			}
			if !slices.Equal(got[0], got[1]) {
				t.Fatalf("New(AdaptStore(s)) answered\n%q\nNewMiddleware(s) answered\n%q", got[0], got[1])
			}
		})
	}
}

// NewRouteMiddleware has NewRouter's option order: the route's method and
// key scope, then its own options, then opts, which win.
func TestNewRouteMiddlewareOptionOrder(t *testing.T) {
	store := NewMemoryStore(time.Minute)
	route := Route{Method: " put ", Pattern: "/files/{id}", Options: []Option{WithKeyRequired(true), WithTTL(time.Hour)}}
	m := NewRouteMiddleware(store, route)
	if !slices.Equal(m.cfg.methods, []string{http.MethodPut}) || m.cfg.route != "PUT /files/{id}" {
		t.Fatalf("methods %q route %q, want [PUT] and PUT /files/{id}", m.cfg.methods, m.cfg.route)
	}
	if !m.cfg.keyRequired || m.ttl != time.Hour {
		t.Fatalf("the route's options were not applied: required %v ttl %v", m.cfg.keyRequired, m.ttl)
	}
	m = NewRouteMiddleware(store, route, WithKeyRequired(false), WithRoute("custom"))
	if m.cfg.keyRequired || m.cfg.route != "custom" || m.ttl != time.Hour {
		t.Fatalf("opts must come last: required %v route %q ttl %v", m.cfg.keyRequired, m.cfg.route, m.ttl)
	}
	// NewRouter builds exactly these middlewares.
	rt := newRouter(store, []Route{route}, []Option{WithKeyRequired(false)})
	if got := rt.routes[0].m; got.cfg.keyRequired || got.cfg.route != "PUT /files/{id}" || got.ttl != time.Hour {
		t.Fatalf("NewRouter's middleware: required %v route %q ttl %v", got.cfg.keyRequired, got.cfg.route, got.ttl)
	}
}
