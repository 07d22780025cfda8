package idempotency_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// claimOnly is a store as README.md "Stores" tells users to write one:
// the five ClaimStore methods and nothing else.
type claimOnly struct{ s *idempotency.MemoryStore }

func (c claimOnly) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	return c.s.Claim(ctx, key, fp, lease)
}

func (c claimOnly) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	return c.s.Complete(ctx, key, token, rec)
}

func (c claimOnly) Abandon(ctx context.Context, key, token string) error {
	return c.s.Abandon(ctx, key, token)
}

func (c claimOnly) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	return c.s.Renew(ctx, key, token, lease)
}

func (c claimOnly) TTL() time.Duration { return c.s.TTL() }

func newClaimOnly(t *testing.T) idempotency.ClaimStore {
	s := idempotency.NewMemoryStore(time.Hour)
	t.Cleanup(func() { _ = s.Close() })
	return claimOnly{s}
}

// TestClaimOnlyStoreContract: such a store passes the conformance suite
// with nothing else to write.
func TestClaimOnlyStoreContract(t *testing.T) {
	storetest.Run(t, newClaimOnly)
}

// TestClaimOnlyStoreServes: it plugs into every constructor that takes a
// store, and each replays.
func TestClaimOnlyStoreServes(t *testing.T) {
	route := idempotency.Route{Method: http.MethodPost, Pattern: "/payments"}
	wraps := map[string]func(idempotency.ClaimStore, http.Handler) http.Handler{
		"New": func(s idempotency.ClaimStore, h http.Handler) http.Handler {
			return idempotency.New(s).Handler(h)
		},
		"NewRouter": func(s idempotency.ClaimStore, h http.Handler) http.Handler {
			return idempotency.NewRouter(s, []idempotency.Route{route})(h)
		},
		"NewRouteMiddleware": func(s idempotency.ClaimStore, h http.Handler) http.Handler {
			return idempotency.NewRouteMiddleware(s, route).Handler(h)
		},
	}
	for name, wrap := range wraps {
		t.Run(name, func(t *testing.T) {
			runs := 0
			h := wrap(newClaimOnly(t), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				runs++
				w.WriteHeader(http.StatusCreated)
			}))
			for range 2 {
				r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader("{}"))
				r.Header.Set(idempotency.HeaderIdempotencyKey, "k")
				h.ServeHTTP(httptest.NewRecorder(), r)
			}
			if runs != 1 {
				t.Fatalf("handler ran %d times, want 1", runs)
			}
		})
	}
}
