package idempotency_test

// Helpers of the real-HTTP tests of the route table and of layering
// (router_routers_test.go, layers_test.go).

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// operation answers 201 with how many times it ran.
type operation struct{ runs atomic.Int64 }

func (o *operation) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := o.runs.Add(1)
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]any{"run": n, "path": r.URL.EscapedPath()})
}

type answer struct {
	status            int
	replayed          bool
	body, contentType string
	code              string // a problem's code member
}

// send makes one request over the wire; path goes out exactly as written.
func send(t *testing.T, srv *httptest.Server, method, path, key string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(`{"amount":100}`))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, replayed: resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true",
		body: string(b), contentType: resp.Header.Get("Content-Type")}
	var p struct{ Code string }
	if json.Unmarshal(b, &p) == nil {
		a.code = p.Code
	}
	return a
}
