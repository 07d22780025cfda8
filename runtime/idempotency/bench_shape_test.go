package idempotency

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// shapeLive opts BenchmarkShape's live=1M sub-benchmark in: it fills a
// store with a million completed entries first, which takes a few seconds
// (the process then holds about 1 GB).
var shapeLive = flag.Bool("shape.live", false, "BenchmarkShape: also measure at 1,000,000 live entries")

// BenchmarkShape is issue 16's benchmark shape: the bare handler (201,
// about 200 bytes of JSON) against the middleware over a MemoryStore,
// each request built afresh with httptest.NewRequest and answered into a
// fresh httptest.NewRecorder, as a server's caller would see it. hit
// replays one key; miss sends a new key every time, and the store keeps
// every entry (no eviction). Rounds alternate baseline and middleware and
// are timed in process CPU time (see cpuNow); the metrics are the median
// ratios (x-hit, x-miss) and the allocations per request over the
// baseline's (allocs-hit, allocs-miss). Run it at -cpu 1,2.
//
// live=0 starts each miss round on an empty store; live=1M runs both
// paths on one store that holds a million entries (opt in with
// -shape.live; it is filled once per process).
func BenchmarkShape(b *testing.B) {
	b.Run("live=0", func(b *testing.B) {
		shapeRounds(b, func() *MemoryStore { return NewMemoryStore(time.Hour) })
	})
	b.Run("live=1M", func(b *testing.B) {
		if !*shapeLive {
			b.Skip("opt in with -shape.live: fills a store with 1,000,000 entries first")
		}
		s := millionLive()
		shapeRounds(b, func() *MemoryStore { return s })
	})
}

// BenchmarkFreshOps runs BenchmarkShape's requests one path and one
// implementation at a time, for ns/op, allocs/op and profiles
// (-cpuprofile); the store keeps every entry of a sub-benchmark.
func BenchmarkFreshOps(b *testing.B) {
	for _, path := range []string{"hit", "miss"} {
		for _, impl := range benchImpls() {
			b.Run("path="+path+"/impl="+impl.name, func(b *testing.B) {
				h := impl.wrap(mwBenchHandler)
				keys := &shapeKeys{prefix: "ops" + strconv.FormatInt(benchRun.Add(1), 10) + "-"}
				hitBuf := []byte(keys.prefix + "hit")
				key := func() string { return string(hitBuf) }
				if path == "miss" {
					key = keys.next
				}
				shapeOp(b, h, key())
				b.ReportAllocs()
				for b.Loop() {
					shapeOp(b, h, key())
				}
			})
		}
	}
}

const (
	shapeRoundCount = 9
	shapeHitOps     = 40000
	shapeMissOps    = 20000
)

// shapeRounds measures both paths over stores from store: one for the
// hit path per run, one per miss round (the same one, for live=1M).
func shapeRounds(b *testing.B, store func() *MemoryStore) {
	base := mwBenchHandler
	hit := New(store()).Handler(mwBenchHandler)
	keys := &shapeKeys{prefix: "shape" + strconv.FormatInt(benchRun.Add(1), 10) + "-"}
	hitKey := keys.prefix + "hit"
	shapeOp(b, hit, hitKey)

	timeIt := func(h http.Handler, perRound int, key func() string) float64 {
		runtime.GC() // each phase starts without the previous one's garbage, untimed
		start := cpuNow()
		for range perRound {
			shapeOp(b, h, key())
		}
		return float64(cpuNow() - start)
	}
	hitBuf := []byte(hitKey)
	sameKey := func() string { return string(hitBuf) } // allocates, as next does
	var xHit, xMiss []float64
	for b.Loop() {
		for range shapeRoundCount {
			bt := timeIt(base, shapeHitOps, sameKey)
			xHit = append(xHit, timeIt(hit, shapeHitOps, sameKey)/bt)
			miss := New(store()).Handler(mwBenchHandler)
			bt = timeIt(base, shapeMissOps, keys.next)
			xMiss = append(xMiss, timeIt(miss, shapeMissOps, keys.next)/bt)
		}
	}
	b.ReportMetric(0, "ns/op") // the rounds' total: meaningless here
	b.ReportMetric(median(xHit), "x-hit")
	b.ReportMetric(median(xMiss), "x-miss")

	allocs := func(h http.Handler, key func() string) float64 {
		return testing.AllocsPerRun(2000, func() { shapeOp(b, h, key()) })
	}
	b.ReportMetric(allocs(hit, sameKey)-allocs(base, sameKey), "allocs-hit")
	miss := New(store()).Handler(mwBenchHandler)
	b.ReportMetric(allocs(miss, keys.next)-allocs(base, keys.next), "allocs-miss")
}

// shapeKeys makes a new key per call; the baseline builds them too, so
// both sides pay the same for them.
type shapeKeys struct {
	prefix string
	buf    []byte
	n      int64
}

func (k *shapeKeys) next() string {
	k.n++
	k.buf = strconv.AppendInt(append(k.buf[:0], k.prefix...), k.n, 10)
	return string(k.buf)
}

// shapeOp sends one request, built afresh, into a fresh recorder.
func shapeOp(b *testing.B, h http.Handler, key string) {
	r := httptest.NewRequest(http.MethodPost, "/v1/payments", bytes.NewReader(mwBenchReq))
	r.Header["Content-Type"] = mwJSONType
	r.Header[HeaderIdempotencyKey] = []string{key}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusCreated {
		b.Fatalf("status %d for key %q", w.Code, key)
	}
}

var (
	millionOnce  sync.Once
	millionStore *MemoryStore
)

// millionLive is a store holding 1,000,000 completed entries, made by the
// middleware itself so that they are shaped like the ones it stores.
func millionLive() *MemoryStore {
	millionOnce.Do(func() {
		millionStore = NewMemoryStore(time.Hour)
		c := newClient(New(millionStore).Handler(mwBenchHandler), "fill-")
		for i := range 1_000_000 {
			if code := c.do("", i+1); code != http.StatusCreated {
				panic("filling the store: status " + strconv.Itoa(code))
			}
		}
	})
	return millionStore
}
