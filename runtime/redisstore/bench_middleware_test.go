package redisstore

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// The middleware benchmarks run a whole keyed request through
// idempotency.NewMiddleware on this store, so their round trips are what a
// service pays: a first request claims and completes (2), a replay claims (1).

func benchHandler() http.Handler {
	body := []byte(`{"id":"pay_123","amount":4200,"currency":"eur","status":"succeeded"}`)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		w.Write(body)
	})
}

func benchRequest(key string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader(`{"amount":4200,"currency":"eur"}`))
	r.Header.Set(idempotency.HeaderIdempotencyKey, key)
	return r
}

func BenchmarkMiddlewareFirstRequest(b *testing.B) {
	s, _, hook := counted(b)
	h := idempotency.NewMiddleware(s).Handler(benchHandler())
	b.ResetTimer()
	for i := range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, benchRequest("first-"+strconv.Itoa(i)))
		if w.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	report(b, hook, 2)
}

func BenchmarkMiddlewareReplay(b *testing.B) {
	s, _, hook := counted(b)
	h := idempotency.NewMiddleware(s).Handler(benchHandler())
	h.ServeHTTP(httptest.NewRecorder(), benchRequest("replayed"))
	hook.n.Store(0)
	b.ResetTimer()
	for range b.N {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, benchRequest("replayed"))
		if w.Header().Get(idempotency.HeaderIdempotencyReplayed) != "true" {
			b.Fatalf("not a replay: %d %s", w.Code, w.Body)
		}
	}
	b.StopTimer()
	report(b, hook, 1)
}
