package idempotency_test

// Two idempotency layers on one request (the route table and a typed
// wrapper, or two route tables) must not fight: the inner one steps aside
// for a request the outer one already runs under its claim, whichever
// stores they use, and no layer ever stores another layer's 409.

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// outcomes records the events of one layer.
type outcomes struct {
	mu  sync.Mutex
	got []idempotency.Event
}

func (o *outcomes) observe(ev idempotency.Event) {
	o.mu.Lock()
	o.got = append(o.got, ev)
	o.mu.Unlock()
}

func (o *outcomes) count(want idempotency.Outcome, status int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, ev := range o.got {
		if ev.Outcome == want && (status == 0 || ev.Status == status) {
			n++
		}
	}
	return n
}

func TestTwoLayersDoNotFight(t *testing.T) {
	route := idempotency.Route{Method: "POST", Pattern: "/payments"}
	// inner layers, as the generated code builds them.
	typed := func(store idempotency.ClaimStore, op http.Handler, opts ...idempotency.Option) http.Handler {
		mw := idempotency.NewRouteMiddleware(store, route, opts...) // NewIdempotentServer's per-operation middleware
		m := http.NewServeMux()
		m.HandleFunc("POST /payments", func(w http.ResponseWriter, r *http.Request) { mw.Serve(w, r, op) })
		return m
	}
	table := func(store idempotency.ClaimStore, op http.Handler, opts ...idempotency.Option) http.Handler {
		return idempotency.NewRouter(store, []idempotency.Route{route}, opts...)(op)
	}
	for _, inner := range []struct {
		name  string
		build func(idempotency.ClaimStore, http.Handler, ...idempotency.Option) http.Handler
	}{{"typed-wrapper", typed}, {"route-table", table}} {
		for _, shared := range []bool{true, false} {
			name := inner.name + "/own-store"
			if shared {
				name = inner.name + "/same-store"
			}
			t.Run(name, func(t *testing.T) {
				outerStore := idempotency.NewMemoryStore(time.Minute)
				innerStore := idempotency.NewMemoryStore(time.Minute)
				if shared {
					innerStore = outerStore
				}
				var innerEv outcomes
				op := &operation{}
				app := inner.build(innerStore, op, idempotency.WithObserver(innerEv.observe))
				srv := httptest.NewServer(idempotency.NewRouter(outerStore, []idempotency.Route{route})(app))
				defer srv.Close()

				first := send(t, srv, "POST", "/payments", "k1")
				if first.status != http.StatusCreated || first.replayed {
					t.Fatalf("first keyed request: %d (replayed %v) %q, want the operation's 201", first.status, first.replayed, first.body)
				}
				retry := send(t, srv, "POST", "/payments", "k1")
				if retry.status != http.StatusCreated || !retry.replayed || retry.body != first.body {
					t.Fatalf("retry: %d (replayed %v) %q, want the replay of %q", retry.status, retry.replayed, retry.body, first.body)
				}
				if n := op.runs.Load(); n != 1 {
					t.Fatalf("the operation ran %d times, want 1", n)
				}
				// The inner layer stepped aside: it claimed nothing, so
				// its store holds no second copy of the response.
				if n := innerEv.count(idempotency.OutcomeAcquired, 0); n != 0 {
					t.Fatalf("the inner layer claimed the key %d times, want 0", n)
				}
			})
		}
	}
}

// A request the outer layer lets through without a claim (no key) still
// meets the inner layer's own rules.
func TestInnerLayerStillRequiresItsKey(t *testing.T) {
	route := idempotency.Route{Method: "POST", Pattern: "/payments"}
	store := idempotency.NewMemoryStore(time.Minute)
	op := &operation{}
	inner := idempotency.NewRouter(store, []idempotency.Route{route}, idempotency.WithKeyRequired(true))(op)
	srv := httptest.NewServer(idempotency.NewRouter(store, []idempotency.Route{route})(inner))
	defer srv.Close()
	if a := send(t, srv, "POST", "/payments", ""); a.status != http.StatusBadRequest || a.code != idempotency.CodeKeyMissing {
		t.Fatalf("no key: %d %q, want 400 %s", a.status, a.code, idempotency.CodeKeyMissing)
	}
}

// A gateway and its backend, each with the route table, on one store: the
// backend finds the gateway's claim in flight and answers 409. The context
// mark cannot cross the network, so the gateway must recognise that 409 as
// a layer's, not the operation's, and not store it for the whole TTL.
func TestLayerAcrossTheNetworkDoesNotStoreIts409(t *testing.T) {
	route := []idempotency.Route{{Method: "POST", Pattern: "/payments"}}
	store := idempotency.NewMemoryStore(time.Minute)
	op := &operation{}
	backend := httptest.NewServer(idempotency.NewRouter(store, route)(op))
	defer backend.Close()
	u, _ := url.Parse(backend.URL)
	var gwEv outcomes
	gateway := httptest.NewServer(idempotency.NewRouter(store, route,
		idempotency.WithObserver(gwEv.observe))(httputil.NewSingleHostReverseProxy(u)))
	defer gateway.Close()

	for i := range 2 {
		a := send(t, gateway, "POST", "/payments", "k1")
		if a.status != http.StatusConflict || a.code != idempotency.CodeKeyInUse || a.replayed {
			t.Fatalf("request %d: %d %q (replayed %v), want the backend's own 409, never a stored one", i, a.status, a.code, a.replayed)
		}
	}
	if n := gwEv.count(idempotency.OutcomeNotStored, http.StatusConflict); n != 2 {
		t.Fatalf("gateway released the key on %d of 2 in-flight answers", n)
	}
	if n := gwEv.count(idempotency.OutcomeCompleted, 0); n != 0 {
		t.Fatalf("gateway stored %d in-flight answers", n)
	}
}

// The operation's own 409, even as problem+json, is stored and replayed
// like any 4xx.
func TestHandlersOwn409IsStored(t *testing.T) {
	runs := 0
	op := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"type":"https://example.com/probs/already-paid","title":"Already paid","status":409}`))
	})
	srv := httptest.NewServer(idempotency.NewRouter(idempotency.NewMemoryStore(time.Minute),
		[]idempotency.Route{{Method: "POST", Pattern: "/payments"}})(op))
	defer srv.Close()
	first := send(t, srv, "POST", "/payments", "k1")
	retry := send(t, srv, "POST", "/payments", "k1")
	if first.status != http.StatusConflict || retry.status != http.StatusConflict || !retry.replayed || runs != 1 {
		t.Fatalf("handler's 409: first %d, retry %d (replayed %v), runs %d; want it stored and replayed", first.status, retry.status, retry.replayed, runs)
	}
}
