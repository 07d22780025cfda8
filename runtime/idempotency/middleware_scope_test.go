package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDefaultScopeIsMethodAndPath(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
	serve(mw, http.MethodPost, "/a", "k", "{}")
	// Same key on another path or method is another entry, not a mismatch.
	if w := serve(mw, http.MethodPost, "/b", "k", "{}"); w.Code != http.StatusCreated || w.Header().Get(HeaderIdempotencyReplayed) != "" {
		t.Fatalf("/b: %d %q", w.Code, w.Header().Get(HeaderIdempotencyReplayed))
	}
	if w := serve(mw, http.MethodPatch, "/a", "k", "{}"); w.Code != http.StatusCreated || w.Header().Get(HeaderIdempotencyReplayed) != "" {
		t.Fatalf("PATCH /a: %d", w.Code)
	}
	if h.runs.Load() != 3 {
		t.Fatalf("runs %d, want 3", h.runs.Load())
	}
}

func TestWithRouteScopesByOperation(t *testing.T) {
	store := NewMemoryStore(time.Minute)
	h := &countingHandler{}
	refunds := NewMiddleware(store, WithRoute("POST /payments/{id}/refunds")).Handler(h)
	captures := NewMiddleware(store, WithRoute("POST /payments/{id}/captures")).Handler(h)
	serve(refunds, http.MethodPost, "/payments/1/refunds", "k", "{}")
	// Another operation with the same key and body: its own entry.
	if w := serve(captures, http.MethodPost, "/payments/1/captures", "k", "{}"); w.Header().Get(HeaderIdempotencyReplayed) != "" {
		t.Fatal("a key replayed across operations")
	}
	// Same operation, other path parameter: the fingerprint differs, 422.
	wantProblem(t, serve(refunds, http.MethodPost, "/payments/2/refunds", "k", "{}"), http.StatusUnprocessableEntity, CodeKeyReused)
	if h.runs.Load() != 2 {
		t.Fatalf("runs %d, want 2", h.runs.Load())
	}
}

func TestCallerScope(t *testing.T) {
	type setup struct {
		opt     Option
		callerA []string
		callerB []string
	}
	cases := map[string]setup{
		"WithScope": {
			opt:     WithScope(func(r *http.Request) string { return r.Header.Get("X-User") }),
			callerA: []string{"X-User", "alice"},
			callerB: []string{"X-User", "bob"},
		},
		"WithScopeHeaders": {
			opt:     WithScopeHeaders("authorization", "X-Tenant"),
			callerA: []string{"Authorization", "Bearer a", "X-Tenant", "t1"},
			callerB: []string{"Authorization", "Bearer a", "X-Tenant", "t2"},
		},
		"WithScopeHeaders multi-valued": {
			opt:     WithScopeHeaders("X-Tenant"),
			callerA: []string{"X-Tenant", "t1", "X-Tenant", "t2"},
			callerB: []string{"X-Tenant", "t1"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := &countingHandler{}
			mw := NewMiddleware(NewMemoryStore(time.Minute), c.opt).Handler(h)
			a := serve(mw, http.MethodPost, "/p", "shared-key", `{"secret":"alice"}`, c.callerA...)
			b := serve(mw, http.MethodPost, "/p", "shared-key", `{"secret":"alice"}`, c.callerB...)
			if b.Header().Get(HeaderIdempotencyReplayed) != "" || h.runs.Load() != 2 {
				t.Fatalf("caller B replayed caller A's response: %q", b.Body)
			}
			a2 := serve(mw, http.MethodPost, "/p", "shared-key", `{"secret":"alice"}`, c.callerA...)
			if a2.Body.String() != a.Body.String() || a2.Header().Get(HeaderIdempotencyReplayed) != "true" {
				t.Fatalf("caller A's own retry not replayed")
			}
		})
	}
}

func TestStoreKeyDerivation(t *testing.T) {
	m := NewMiddleware(NewMemoryStore(time.Minute), WithScopeHeaders("X-A"))
	key := func(path, k string, hdr ...string) string {
		r := httptest.NewRequest(http.MethodPost, path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Add(hdr[i], hdr[i+1])
		}
		st := getState()
		defer putState(st)
		_, sk := st.identify(m, r, k)
		return sk
	}
	a := key("/p", "k")
	if a != key("/p", "k") {
		t.Fatal("store key not deterministic")
	}
	if len(a) != digestLen || len(key("/p", strings.Repeat("k", MaxKeyLength))) != digestLen {
		t.Fatalf("store key length %d, want %d", len(a), digestLen)
	}
	distinct := []string{
		a, key("/p", "k2"), key("/pk", ""), key("/p", "k", "X-A", "1"),
		key("/p", "k", "X-A", "1", "X-A", "2"), key("/p", "k", "X-A", "1,2"),
	}
	seen := map[string]int{}
	for i, k := range distinct {
		if j, dup := seen[k]; dup {
			t.Fatalf("store keys %d and %d collide", j, i)
		}
		seen[k] = i
	}
}
