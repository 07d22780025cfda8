package idempotency

// Benchmarks of the middleware beside a no-middleware baseline on the same
// handler (201, a JSON body of about 200 bytes). Sub-benchmarks are named
// path=…/impl=…, so benchstat pairs them. -count repeats each sub-benchmark
// back to back; to alternate baseline and middleware round by round, loop
// over whole runs:
//
//	for i in $(seq 10); do go test -run '^$' -bench 'InProcess|Loopback' -benchmem ./runtime/idempotency; done | tee b.txt
//	benchstat -col /impl b.txt
//
// Paths: hit (replay of one key), miss (a fresh key each time; the store
// keeps every entry), same-key-64 (64 goroutines replaying one key),
// race-64 (64 goroutines, a fresh key per 64 requests), distinct-parallel
// (fresh keys from every goroutine). BenchmarkInProcess calls ServeHTTP
// with a reusable writer; BenchmarkLoopback goes through httptest.Server
// and a keep-alive client. BenchmarkRatio reports the median ratio of
// interleaved rounds directly; BenchmarkShape does so for requests and
// recorders built afresh each time (httptest), the shape issue 16 set its
// targets in, at an empty store and (-shape.live) at a million entries.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var (
	mwBenchResp = []byte(`{"id":"pay_1NXWPnCo6bFb1KQto6tVmiJa","object":"payment","amount":2000,` +
		`"currency":"usd","status":"succeeded","customer":"cus_OKWM9d0PV1s1Ur","description":"Order 4217",` +
		`"created":1700000000,"livemode":false}`)
	mwBenchReq = []byte(`{"amount":2000,"currency":"usd","customer":"cus_OKWM9d0PV1s1Ur"}`)
	mwJSONType = []string{"application/json"}
)

// mwBenchHandler is the operation: it reads the request and answers 201.
var mwBenchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	w.Header()["Content-Type"] = mwJSONType
	w.WriteHeader(http.StatusCreated)
	w.Write(mwBenchResp)
})

// nopWriter is a reusable, allocation-free ResponseWriter.
type nopWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *nopWriter) Header() http.Header { return w.h }
func (w *nopWriter) WriteHeader(c int)   { w.code = c }
func (w *nopWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.n += len(p)
	return len(p), nil
}

// rewindBody is a request body that can be reread without allocating.
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

// client is one in-process caller with its own request and writer.
type client struct {
	h    http.Handler
	r    *http.Request
	w    nopWriter
	body rewindBody
	key  []string
	buf  []byte // key prefix, then the counter
	plen int
}

func newClient(h http.Handler, prefix string) *client {
	c := &client{h: h, w: nopWriter{h: make(http.Header)}, body: rewindBody{b: mwBenchReq}, key: []string{""}}
	c.r = httptest.NewRequest(http.MethodPost, "/v1/payments", nil)
	c.r.Header["Content-Type"] = mwJSONType
	c.r.Header[HeaderIdempotencyKey] = c.key
	c.r.ContentLength = int64(len(mwBenchReq))
	c.buf = append(c.buf, prefix...)
	c.plen = len(prefix)
	return c
}

// do sends one request with key, or with the n-th fresh key when key is "".
func (c *client) do(key string, n int) int {
	if key == "" {
		c.buf = strconv.AppendInt(c.buf[:c.plen], int64(n), 10)
		key = string(c.buf)
	}
	c.key[0] = key
	c.body.off = 0
	c.r.Body = &c.body
	clear(c.w.h)
	c.w.code = 0
	c.h.ServeHTTP(&c.w, c.r)
	return c.w.code
}

type benchImpl struct {
	name string
	wrap func(http.Handler) http.Handler
}

func benchImpls() []benchImpl {
	return []benchImpl{
		{"baseline", func(h http.Handler) http.Handler { return h }},
		{"idempotent", func(h http.Handler) http.Handler {
			// A fresh unbounded store per sub-benchmark: the miss path keeps
			// every entry it creates.
			return NewMiddleware(NewMemoryStore(time.Hour)).Handler(h)
		}},
	}
}

var benchRun atomic.Int64 // keeps keys fresh across runs of one benchmark

func BenchmarkInProcess(b *testing.B) {
	for _, impl := range benchImpls() {
		b.Run("path=hit/impl="+impl.name, func(b *testing.B) {
			c := newClient(impl.wrap(mwBenchHandler), "")
			c.do("hit-key", 0)
			b.ReportAllocs()
			for b.Loop() {
				if c.do("hit-key", 0) != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
		})
	}
	for _, impl := range benchImpls() {
		b.Run("path=miss/impl="+impl.name, func(b *testing.B) {
			c := newClient(impl.wrap(mwBenchHandler), "miss-"+strconv.FormatInt(benchRun.Add(1), 10)+"-")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i++
				if c.do("", i) != http.StatusCreated {
					b.Fatal("bad status")
				}
			}
		})
	}
	for _, impl := range benchImpls() {
		b.Run("path=same-key-64/impl="+impl.name, func(b *testing.B) {
			h := impl.wrap(mwBenchHandler)
			newClient(h, "").do("one-key", 0)
			b.ReportAllocs()
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				c := newClient(h, "")
				for pb.Next() {
					if code := c.do("one-key", 0); code != http.StatusCreated {
						b.Errorf("status %d", code)
						return
					}
				}
			})
		})
	}
	for _, impl := range benchImpls() {
		// 64 goroutines, each run of 64 consecutive requests sharing a fresh
		// key: one claims it, the others get 409 or, once it completed, the
		// replay. The baseline simply runs the handler each time.
		b.Run("path=race-64/impl="+impl.name, func(b *testing.B) {
			h := impl.wrap(mwBenchHandler)
			b.ReportAllocs()
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			var ctr atomic.Int64
			run := strconv.FormatInt(benchRun.Add(1), 10)
			b.RunParallel(func(pb *testing.PB) {
				c := newClient(h, "race"+run+"-")
				for pb.Next() {
					n := ctr.Add(1) / 64
					if code := c.do("", int(n)); code != http.StatusCreated && code != http.StatusConflict {
						b.Errorf("status %d", code)
						return
					}
				}
			})
		})
	}
	for _, impl := range benchImpls() {
		b.Run("path=distinct-parallel/impl="+impl.name, func(b *testing.B) {
			h := impl.wrap(mwBenchHandler)
			b.ReportAllocs()
			var g atomic.Int64
			run := benchRun.Add(1)
			b.RunParallel(func(pb *testing.PB) {
				c := newClient(h, "p"+strconv.FormatInt(run, 10)+"-"+strconv.FormatInt(g.Add(1), 10)+"-")
				i := 0
				for pb.Next() {
					i++
					if c.do("", i) != http.StatusCreated {
						b.Error("bad status")
						return
					}
				}
			})
		})
	}
}

func BenchmarkLoopback(b *testing.B) {
	type variant struct {
		name     string
		parallel bool
		key      func(g, i int64) string
	}
	run := benchRun.Add(1)
	prefix := "l" + strconv.FormatInt(run, 10) + "-"
	variants := []variant{
		{"hit", false, func(g, i int64) string { return "hit-key" }},
		{"miss", false, func(g, i int64) string { return prefix + strconv.FormatInt(i, 10) }},
		{"same-key-64", true, func(g, i int64) string { return "one-key" }},
		{"distinct-parallel", true, func(g, i int64) string {
			return prefix + strconv.FormatInt(g, 10) + "-" + strconv.FormatInt(i, 10)
		}},
	}
	for _, v := range variants {
		for _, impl := range benchImpls() {
			b.Run("path="+v.name+"/impl="+impl.name, func(b *testing.B) {
				srv := httptest.NewServer(impl.wrap(mwBenchHandler))
				defer srv.Close()
				tr := srv.Client().Transport.(*http.Transport)
				tr.MaxIdleConnsPerHost = 128
				send := func(hc *http.Client, key string) {
					req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/payments", strings.NewReader(string(mwBenchReq)))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set(HeaderIdempotencyKey, key)
					resp, err := hc.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("status %d", resp.StatusCode)
					}
				}
				hc := srv.Client()
				send(hc, v.key(0, 0))
				b.ReportAllocs()
				if !v.parallel {
					var i int64
					for b.Loop() {
						i++
						send(hc, v.key(0, i))
					}
					return
				}
				b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
				var g atomic.Int64
				b.RunParallel(func(pb *testing.PB) {
					id := g.Add(1)
					var i int64
					for pb.Next() {
						i++
						send(hc, v.key(id, i))
					}
				})
			})
		}
	}
}
