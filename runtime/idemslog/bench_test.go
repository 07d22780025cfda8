package idemslog_test

// The middleware bare (no observer) beside the same middleware logging
// through idemslog, in one run:
//
//	go test -run '^$' -bench . -benchmem ./runtime/idemslog
//
// impl=info logs at Info to a JSON handler writing to io.Discard (the
// acquired step is skipped by Enabled); impl=off has the observer
// installed on a logger at Error, so every record is skipped.

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemslog"
)

type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

type rewind struct {
	b   []byte
	off int
}

func (r *rewind) Read(p []byte) (int, error) {
	if r.off >= len(r.b) {
		return 0, io.EOF
	}
	n := copy(p, r.b[r.off:])
	r.off += n
	return n, nil
}
func (r *rewind) Close() error { return nil }

var benchBody = []byte(`{"amount":2000,"currency":"usd"}`)

func bench(impl string) func(i int) {
	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 1024, Shards: 1})
	// WithRoute as the generated code gives it (see idemprom's benchmark).
	opts := []idempotency.Option{idempotency.WithOperation("createPayment"), idempotency.WithRoute("POST /payments")}
	switch impl {
	case "info":
		opts = append(opts, idempotency.WithObserver(idemslog.New(slog.New(slog.NewJSONHandler(io.Discard, nil)))))
	case "off":
		opts = append(opts, idempotency.WithObserver(idemslog.New(slog.New(slog.NewJSONHandler(io.Discard,
			&slog.HandlerOptions{Level: slog.LevelError})))))
	}
	h := idempotency.New(store, opts...).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
		w.Write(benchBody)
	}))
	keys := make([][]string, 4096)
	for i := range keys {
		keys[i] = []string{"key-" + strconv.Itoa(i)}
	}
	body := &rewind{}
	r := httptest.NewRequest(http.MethodPost, "/payments", nil)
	r.Body = body
	r.ContentLength = int64(len(benchBody))
	w := &discard{h: http.Header{}}
	return func(i int) {
		body.b, body.off = benchBody, 0
		r.Header[idempotency.HeaderIdempotencyKey] = keys[i%len(keys)]
		clear(w.h)
		h.ServeHTTP(w, r)
	}
}

func BenchmarkMiddleware(b *testing.B) {
	for _, path := range []string{"hit", "miss"} {
		for _, impl := range []string{"bare", "off", "info"} {
			b.Run("path="+path+"/impl="+impl, func(b *testing.B) {
				serve := bench(impl)
				serve(0)
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if path == "hit" {
						serve(0)
					} else {
						serve(i + 1)
					}
				}
			})
		}
	}
}

// TestOffAddsNoAllocation: an installed observer whose logger skips every
// level allocates nothing beyond the bare middleware.
func TestOffAddsNoAllocation(t *testing.T) {
	for _, path := range []string{"hit", "miss"} {
		allocs := map[string]float64{}
		for _, impl := range []string{"bare", "off"} {
			serve := bench(impl)
			serve(0)
			i := 0
			allocs[impl] = testing.AllocsPerRun(2000, func() {
				i++
				if path == "hit" {
					serve(0)
				} else {
					serve(i)
				}
			})
		}
		if allocs["off"] != allocs["bare"] {
			t.Errorf("path=%s: allocs per request %v", path, allocs)
		}
	}
}
