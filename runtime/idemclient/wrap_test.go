package idemclient_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/idemgen/idemgen/runtime/idemclient"
)

// countingDoer is a doer of the caller's own, as oapi-codegen's
// WithHTTPClient takes one.
type countingDoer struct {
	c     *http.Client
	calls atomic.Int32
}

func (d *countingDoer) Do(r *http.Request) (*http.Response, error) {
	d.calls.Add(1)
	return d.c.Do(r)
}

// Wrap sends through the caller's doer, adds the key and retries the
// routes it is given, and leaves other requests alone.
func TestWrapSendsThroughTheDoer(t *testing.T) {
	var attempts atomic.Int32
	var mu sync.Mutex
	var keys []string
	seen := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), keys...) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		mu.Unlock()
		if r.URL.Path == "/payments" && attempts.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	doer := &countingDoer{c: srv.Client()}
	c := idemclient.Wrap(doer, []idemclient.Route{{Method: "POST", Pattern: "/payments"}}, &idemclient.Transport{MaxAttempts: 3})
	res, err := c.Post(srv.URL+"/payments", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if keys := seen(); res.StatusCode != http.StatusCreated || doer.calls.Load() != 2 || len(keys) != 2 || keys[0] == "" || keys[0] != keys[1] {
		t.Fatalf("status %d after %d calls of the doer with keys %q; want 201 after a retry with one key", res.StatusCode, doer.calls.Load(), keys)
	}
	res, err = c.Post(srv.URL+"/notes", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if keys := seen(); doer.calls.Load() != 3 || len(keys) != 3 || keys[2] != "" {
		t.Fatalf("an unlisted route: %d doer calls, keys %q; want one call and no key", doer.calls.Load(), keys)
	}
}
