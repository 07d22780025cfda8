package idemotel_test

// The observer's cost beside the bare middleware, in one run:
//
//	go test -run '^$' -bench . -benchmem -cpu 1,2 ./runtime/idemotel
//
// Sub-benchmarks are named path=…/impl=…, so benchstat pairs them with
// -col /impl. Paths: miss (a fresh key each time: acquired, completed)
// and hit (a replay of one key). impl=bare has no observer; otel adds
// the observer over an SDK meter provider; otel+store wraps the store
// too; the traced pair runs each request in a recording span (an SDK
// tracer provider, no exporter), bare and observed.

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

var (
	benchReq  = []byte(`{"amount":2000,"currency":"usd","customer":"cus_OKWM9d0PV1s1Ur"}`)
	benchResp = []byte(`{"id":"pay_1NXWPnCo6bFb1KQto6tVmiJa","object":"payment","amount":2000,"currency":"usd","status":"succeeded"}`)
	jsonType  = []string{"application/json"}
)

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header()["Content-Type"] = jsonType
	w.WriteHeader(http.StatusCreated)
	w.Write(benchResp)
})

// nopWriter is a reusable ResponseWriter.
type nopWriter struct {
	h    http.Header
	code int
}

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) WriteHeader(c int)           { w.code = c }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }

// rewindBody is a request body read again without allocating.
type rewindBody struct {
	b   []byte
	off int
}

func (r *rewindBody) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}
func (r *rewindBody) Close() error { return nil }

func BenchmarkObserver(b *testing.B) {
	impls := []struct {
		name          string
		observe, wrap bool
		traced        bool
	}{
		{"bare", false, false, false},
		{"otel", true, false, false},
		{"otel+store", true, true, false},
		{"bare-traced", false, false, true},
		{"otel-traced", true, false, true},
	}
	for _, path := range []string{"miss", "hit"} {
		for _, impl := range impls {
			b.Run("path="+path+"/impl="+impl.name, func(b *testing.B) {
				var store idempotency.ClaimStore = idempotency.NewMemoryStore(time.Hour)
				opts := []idempotency.Option{idempotency.WithOperation(op)}
				if impl.observe || impl.wrap {
					obs, _ := newObserver(b)
					if impl.wrap {
						store = obs.WrapStore(store)
					}
					opts = append(opts, idempotency.WithObserver(obs.Observe))
				}
				m := idempotency.New(store, opts...)
				var tracer trace.Tracer
				if impl.traced {
					tp := sdktrace.NewTracerProvider()
					b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
					tracer = tp.Tracer("bench")
				}
				body := &rewindBody{b: benchReq}
				r, _ := http.NewRequest(http.MethodPost, "/payments", body)
				r.ContentLength = int64(len(benchReq))
				w := &nopWriter{h: http.Header{}}
				keys := []string{"hit-key"}
				r.Header[idempotency.HeaderIdempotencyKey] = keys
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					if path == "miss" {
						keys[0] = "k" + strconv.Itoa(i)
					}
					body.off = 0
					clear(w.h)
					req := r
					var span trace.Span
					if tracer != nil {
						var ctx context.Context
						ctx, span = tracer.Start(context.Background(), "POST /payments")
						req = r.WithContext(ctx)
					}
					m.Serve(w, req, benchHandler)
					if span != nil {
						span.End()
					}
					if w.code != http.StatusCreated {
						b.Fatalf("status %d", w.code)
					}
				}
			})
		}
	}
}
