package augment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// brokenStore fails every call, as an unreachable store does.
type brokenStore struct{}

var errDown = errors.New("store down")

func (brokenStore) Claim(context.Context, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, errDown
}
func (brokenStore) Complete(context.Context, string, string, *idempotency.Record) error {
	return errDown
}
func (brokenStore) Abandon(context.Context, string, string) error              { return errDown }
func (brokenStore) Renew(context.Context, string, string, time.Duration) error { return errDown }
func (brokenStore) TTL() time.Duration                                         { return time.Hour }

var _ idempotency.ClaimStore = brokenStore{}

func send(h http.Handler, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/payments", strings.NewReader(body))
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestProblemsMatchRuntime drives the real middleware into every problem
// the published contract documents: each situation gets the documented
// status, body (byte for byte) and Retry-After.
func TestProblemsMatchRuntime(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	mw := func(store idempotency.ClaimStore, opts ...idempotency.Option) http.Handler {
		return idempotency.New(store, opts...).Handler(ok)
	}
	mem := func() idempotency.ClaimStore { return idempotency.NewMemoryStore(time.Hour) }

	got := map[string]*httptest.ResponseRecorder{}
	got[contract.KeyMissing.Name] = send(mw(mem(), idempotency.WithKeyRequired(true)), "", "{}")
	got[contract.KeyInvalid.Name] = send(mw(mem()), strings.Repeat("k", 257), "{}")
	got[contract.BodyTooLarge.Name] = send(mw(mem(), idempotency.WithMaxRequestBody(4)), "k1", "0123456789")
	got[contract.StoreUnavailable.Name] = send(mw(brokenStore{}), "k1", "{}")

	// A full store: its one entry is a live claim that cannot be evicted.
	full := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 1, Shards: 1})
	if _, err := full.Claim(context.Background(), "held", "fp", time.Hour); err != nil {
		t.Fatal(err)
	}
	got[contract.StoreFull.Name] = send(mw(full), "k1", "{}")

	h := mw(mem())
	send(h, "k2", `{"a":1}`)
	got[contract.KeyReused.Name] = send(h, "k2", `{"a":2}`)

	// 409: a second request while the first one's handler still runs.
	release, entered := make(chan struct{}), make(chan struct{})
	slow := idempotency.New(mem()).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	}))
	var wg sync.WaitGroup
	wg.Go(func() { send(slow, "k3", "{}") })
	<-entered
	got[contract.KeyInUse.Name] = send(slow, "k3", "{}")
	close(release)
	wg.Wait()

	for _, p := range []contract.Problem{contract.KeyMissing, contract.KeyInvalid, contract.KeyInUse, contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		w := got[p.Name]
		if w.Code != p.Status {
			t.Errorf("%s: runtime status %d, documented %d", p.Code, w.Code, p.Status)
		}
		if body := strings.TrimSuffix(w.Body.String(), "\n"); body != p.Body() {
			t.Errorf("%s: runtime body\n %s\ndocumented\n %s", p.Code, body, p.Body())
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", p.Code, ct)
		}
		if ra := w.Header().Get("Retry-After"); (ra != "") != p.RetryAfter() {
			t.Errorf("%s: Retry-After %q, documented %v", p.Name, ra, p.RetryAfter())
		}
	}
}

// The published contract promises a 413 on every marked operation with the
// runtime's default cap written out as "1 MiB"; a middleware without
// WithMaxRequestBody must enforce exactly that.
func TestDefaultBodyLimitIsThePublishedOne(t *testing.T) {
	if idempotency.DefaultMaxRequestBody != 1<<20 {
		t.Fatalf("DefaultMaxRequestBody = %d; the contract texts say 1 MiB", idempotency.DefaultMaxRequestBody)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	h := idempotency.NewMiddleware(idempotency.NewMemoryStore(time.Hour)).Handler(ok)
	if w := send(h, "at-limit", strings.Repeat("x", 1<<20)); w.Code != http.StatusCreated {
		t.Errorf("a body of exactly 1 MiB: status %d, want 201", w.Code)
	}
	if w := send(h, "over-limit", strings.Repeat("x", 1<<20+1)); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body of 1 MiB + 1 byte: status %d, want 413", w.Code)
	}
	for _, where := range []string{contract.BodyTooLarge.When, problemResponses(model.DefaultPolicy)[2].desc} {
		if !strings.Contains(where, "1 MiB") {
			t.Errorf("413 text does not state the default limit: %q", where)
		}
	}
}
