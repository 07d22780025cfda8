package idempotency

// Benchmarks of what a MemoryStore full of live records costs the rest of
// the process: heap and objects per entry, and the time of a bare handler
// beside the store while the garbage collector has the store to scan.
//
//	go test -run '^$' -bench 'LiveEntries|BesideLiveEntries|MissPathGC' -benchtime 200000x -count 6 -cpu 1,2 ./runtime/idempotency
//
// Each fill of 1,000,000 entries takes some seconds; b.Loop runs the
// function once per -count, so the fill happens once per measurement.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

const liveEntries = 1_000_000

// liveKey is shaped like the middleware's store keys and fingerprints: a
// 43-character base64url hash.
func liveKey(kind byte, i int) string {
	var b [9]byte
	b[0] = kind
	binary.LittleEndian.PutUint64(b[1:], uint64(i))
	sum := sha256.Sum256(b[:])
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

type heapReading struct{ bytes, objects uint64 }

func readHeap() heapReading {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return heapReading{m.HeapAlloc, m.HeapObjects}
}

type liveStore struct {
	store                   *MemoryStore
	bytes, objects, charged float64 // per entry
}

// fillLive stores n completed records the way the middleware hands them
// over: a fresh body each, and either one header map shared by every record
// (the middleware's snapshot cache hits when the headers repeat) or a map
// of its own per record, holding a per-response Location. Everything the
// store keeps is counted: the caller keeps no reference.
func fillLive(n int, location bool) liveStore {
	before := readHeap()
	s := NewMemoryStore(time.Hour)
	ctx := context.Background()
	shared := http.Header{"Content-Type": {"application/json"}}
	for i := range n {
		key, fp := liveKey('k', i), liveKey('f', i)
		c, err := s.Claim(ctx, key, fp, time.Minute)
		if err != nil || c.State != Acquired {
			panic(fmt.Sprintf("filling the store: %v %v", c.State, err))
		}
		h := shared
		if location {
			// As storableHeader builds it: one map, one backing array.
			vs := []string{"application/json", "/v1/payments/pay_" + strconv.Itoa(i)}
			h = http.Header{"Content-Type": vs[0:1:1], "Location": vs[1:2:2]}
		}
		rec := &Record{Fingerprint: fp, Status: http.StatusCreated, Header: h, Body: bytes.Clone(mwBenchResp)}
		if err := s.Complete(ctx, key, c.Token, rec); err != nil {
			panic(err)
		}
	}
	shared = nil
	after := readHeap()
	st := s.Stats()
	if st.Entries != n {
		panic(fmt.Sprintf("store holds %d entries, want %d", st.Entries, n))
	}
	return liveStore{
		store:   s,
		bytes:   float64(int64(after.bytes-before.bytes)) / float64(n),
		objects: float64(int64(after.objects-before.objects)) / float64(n),
		charged: float64(st.Bytes) / float64(n),
	}
}

// BenchmarkMemoryStoreLiveEntries reports the heap (B/entry) and objects
// per live entry of a store holding 1,000,000 records, beside what
// Stats().Bytes charges for them (charged-B/entry). Each op is a replay
// lookup in that store.
func BenchmarkMemoryStoreLiveEntries(b *testing.B) {
	for _, location := range []bool{false, true} {
		b.Run("location="+strconv.FormatBool(location), func(b *testing.B) {
			ls := fillLive(liveEntries, location)
			ctx := context.Background()
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = liveKey('k', i*977)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c, err := ls.store.Claim(ctx, keys[i&1023], "x", time.Minute)
				if err != nil || c.State != Completed {
					b.Fatalf("lookup: %v %v", c.State, err)
				}
			}
			b.ReportMetric(ls.bytes, "B/entry")
			b.ReportMetric(ls.objects, "objects/entry")
			b.ReportMetric(ls.charged, "charged-B/entry")
			runtime.KeepAlive(ls.store)
		})
	}
}

// gcMeter measures the share of the CPU time spent (not idle) that went
// to the garbage collector, from runtime/metrics.
type gcMeter struct{ s [3]metrics.Sample }

func startGCMeter() *gcMeter {
	m := &gcMeter{}
	m.s[0].Name = "/cpu/classes/gc/total:cpu-seconds"
	m.s[1].Name = "/cpu/classes/total:cpu-seconds"
	m.s[2].Name = "/cpu/classes/idle:cpu-seconds"
	metrics.Read(m.s[:])
	return m
}

// percent is the GC share since startGCMeter. The runtime updates these
// figures at the end of each GC cycle, so a run needs several cycles.
func (m *gcMeter) percent() float64 {
	now := m.s
	metrics.Read(now[:])
	gc := now[0].Value.Float64() - m.s[0].Value.Float64()
	busy := (now[1].Value.Float64() - m.s[1].Value.Float64()) - (now[2].Value.Float64() - m.s[2].Value.Float64())
	if busy <= 0 {
		return 0
	}
	return 100 * gc / busy
}

// BenchmarkBareHandlerBesideLiveEntries times a handler without any
// middleware (httptest request and recorder, 201 and a 200-byte JSON body)
// in a process holding no store, or a store of 1,000,000 live records: the
// difference is what the store's pointers cost every other allocation
// through the garbage collector (gc-% is its share of the busy CPU).
func BenchmarkBareHandlerBesideLiveEntries(b *testing.B) {
	cases := []struct {
		name     string
		n        int
		location bool
	}{
		{"entries=0", 0, false},
		{"entries=1M/location=false", liveEntries, false},
		{"entries=1M/location=true", liveEntries, true},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var ls liveStore
			if tc.n > 0 {
				ls = fillLive(tc.n, tc.location)
			}
			body := string(mwBenchReq)
			b.ReportAllocs()
			gc := startGCMeter()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/v1/payments", strings.NewReader(body))
				w := httptest.NewRecorder()
				mwBenchHandler.ServeHTTP(w, r)
				if w.Code != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
			b.ReportMetric(gc.percent(), "gc-%")
			runtime.KeepAlive(ls.store)
		})
	}
}

// BenchmarkMissPathGC is the miss path (a fresh key per request, kept in
// the store) with the GC's share of the CPU beside it: "middleware" through
// the middleware, "store" as a bare Claim and Complete. Run it with a fixed
// -benchtime (e.g. 1000000x): the store grows with the op count, and so
// does the collector's work.
func BenchmarkMissPathGC(b *testing.B) {
	b.Run("middleware", func(b *testing.B) {
		c := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler), "gcmiss-"+strconv.FormatInt(benchRun.Add(1), 10)+"-")
		b.ReportAllocs()
		gc := startGCMeter()
		i := 0
		for b.Loop() {
			i++
			if c.do("", i) != http.StatusCreated {
				b.Fatal("bad status")
			}
		}
		b.ReportMetric(gc.percent(), "gc-%")
	})
	b.Run("store", func(b *testing.B) {
		s := NewMemoryStore(time.Hour)
		ctx := context.Background()
		h := http.Header{"Content-Type": {"application/json"}}
		b.ReportAllocs()
		gc := startGCMeter()
		for i := 0; b.Loop(); i++ {
			key := liveKey('m', i)
			c, err := s.Claim(ctx, key, "fp", time.Minute)
			if err != nil || c.State != Acquired {
				b.Fatalf("Claim: %v %v", c.State, err)
			}
			rec := &Record{Status: http.StatusCreated, Header: h, Body: bytes.Clone(mwBenchResp)}
			if err := s.Complete(ctx, key, c.Token, rec); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(gc.percent(), "gc-%")
	})
}

// BenchmarkMiddlewareReplayMany is the middleware's hit path over 8192
// distinct completed keys in turn, so that most replays find no decoded
// Record cached: allocs/op beside BenchmarkInProcess's baseline is what a
// replay costs. "location" gives every response a Location of its own.
func BenchmarkMiddlewareReplayMany(b *testing.B) {
	for _, location := range []bool{false, true} {
		b.Run("location="+strconv.FormatBool(location), func(b *testing.B) {
			h := mwBenchHandler
			if location {
				h = func(w http.ResponseWriter, r *http.Request) {
					w.Header()["Location"] = []string{"/v1/payments/" + r.Header.Get(HeaderIdempotencyKey)}
					mwBenchHandler(w, r)
				}
			}
			c := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(h), "many-"+strconv.FormatInt(benchRun.Add(1), 10)+"-")
			const keys = 8192
			for i := range keys {
				if c.do("", i) != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if c.do("", (i*4099)%keys) != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
		})
	}
}
