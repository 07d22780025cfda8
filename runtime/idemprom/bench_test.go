package idemprom_test

// Benchmarks of the middleware bare (no observer) beside the same
// middleware with Metrics installed, in one run, so the difference is the
// adapter's cost:
//
//	go test -run '^$' -bench . -benchmem ./runtime/idemprom
//
// Paths: hit replays one key; miss claims, runs and completes a fresh key
// (4096 keys in turn over a store capped at 1024, so none is still held).
// impl=bare has no observer, impl=metrics observes with Metrics, and
// impl=metrics+store also times the store's calls with WrapStore.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemprom"
)

var benchBody = []byte(`{"amount":2000,"currency":"usd"}`)

var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusCreated)
	w.Write(benchBody)
})

// discard is a reusable ResponseWriter that allocates nothing.
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

// bench builds one configuration and returns a function serving request
// i; it allocates nothing of its own per request.
func bench(impl string) func(i int) {
	// WithRoute as the generated code gives it: without one, the runtime
	// builds the event's Route from the path, one allocation per event
	// under any observer.
	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{MaxEntries: 1024, Shards: 1})
	opts := []idempotency.Option{idempotency.WithOperation("createPayment"), idempotency.WithRoute("POST /payments")}
	var cs idempotency.ClaimStore = store
	if impl != "bare" {
		m := idemprom.New()
		opts = append(opts, idempotency.WithObserver(m.Observe))
		if impl == "metrics+store" {
			cs = m.WrapStore(store)
		}
	}
	h := idempotency.New(cs, opts...).Handler(benchHandler)
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

var impls = []string{"bare", "metrics", "metrics+store"}

func BenchmarkMiddleware(b *testing.B) {
	for _, path := range []string{"hit", "miss"} {
		for _, impl := range impls {
			b.Run("path="+path+"/impl="+impl, func(b *testing.B) {
				serve := bench(impl)
				serve(0) // store key 0, and create the series
				b.ReportAllocs()
				b.ResetTimer()
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

// TestNoAllocationAdded: with Metrics installed (and the store wrapped),
// a request allocates exactly what the bare middleware does, on both
// paths, once its series exist, but for one thing: the middleware lends
// its response buffer to a bare MemoryStore, which copies it into its
// slabs, and clones it for any other store, a wrapped one included (it
// cannot know what a wrapper keeps), so a stored response through
// WrapStore costs that one allocation more.
func TestNoAllocationAdded(t *testing.T) {
	for _, path := range []string{"hit", "miss"} {
		allocs := map[string]float64{}
		for _, impl := range impls {
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
		clone := 0.0
		if path == "miss" {
			clone = 1
		}
		if allocs["metrics"] != allocs["bare"] || allocs["metrics+store"] != allocs["bare"]+clone {
			t.Errorf("path=%s: allocs per request %v: the adapter adds some", path, allocs)
		}
		t.Logf("path=%s: allocs per request %v", path, allocs)
	}
}

// TestObserveAllocatesNothing checks Observe alone, for every kind of
// event, once its series exist.
func TestObserveAllocatesNothing(t *testing.T) {
	m := idemprom.New()
	var evs []idempotency.Event
	for o := idempotency.Outcome(1); o <= idempotency.OutcomeRenewed; o++ {
		evs = append(evs, idempotency.Event{Outcome: o, Operation: "createPayment", Status: 201},
			idempotency.Event{Outcome: o, Operation: "createPayment"})
	}
	for _, ev := range evs {
		m.Observe(ev)
	}
	if a := testing.AllocsPerRun(100, func() {
		for _, ev := range evs {
			m.Observe(ev)
		}
	}); a != 0 {
		t.Fatalf("Observe allocates %v per round", a)
	}
}
