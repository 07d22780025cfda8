package idempotency

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRatio times baseline and middleware in alternating rounds on
// the hit and miss paths and reports each median ratio (x-hit, x-miss),
// in process and over loopback HTTP, and the extra allocations per hit
// request in process (allocs-hit). Rounds are timed in process CPU time
// (see cpuNow), which includes the GC's and, over loopback, the server's.
func BenchmarkRatio(b *testing.B) {
	const rounds = 9
	b.Run("in-process", func(b *testing.B) {
		run := strconv.FormatInt(benchRun.Add(1), 10)
		base := newClient(mwBenchHandler, "rb"+run+"-")
		hit := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler), "")
		hit.do("hit-key", 0)
		n := 0
		timeIt := func(c *client, key string, perRound int) float64 {
			start := cpuNow()
			for range perRound {
				n++
				c.do(key, n)
			}
			return float64(cpuNow() - start)
		}
		hitRatio := func() float64 {
			runtime.GC() // start each round from the same heap, untimed
			return timeIt(hit, "hit-key", 50000) / timeIt(base, "hit-key", 50000)
		}
		missRatio := func() float64 {
			// A fresh store per round keeps every entry the round creates,
			// without one round's heap slowing the next (or the hit path).
			miss := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler), "rm"+run+"-")
			runtime.GC()
			return timeIt(miss, "", 10000) / timeIt(base, "", 10000)
		}
		for b.Loop() {
			ratios(b, rounds, hitRatio, missRatio)
		}
		extra := testing.AllocsPerRun(1000, func() { hit.do("hit-key", 0) }) -
			testing.AllocsPerRun(1000, func() { base.do("hit-key", 0) })
		b.ReportMetric(extra, "allocs-hit")
	})
	b.Run("loopback", func(b *testing.B) {
		const perRound = 300
		base := httptest.NewServer(mwBenchHandler)
		defer base.Close()
		mw := httptest.NewServer(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler))
		defer mw.Close()
		hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		defer hc.CloseIdleConnections()
		run := strconv.FormatInt(benchRun.Add(1), 10)
		n := 0
		timeIt := func(url, key string) float64 {
			start := cpuNow()
			for range perRound {
				n++
				k := key
				if k == "" {
					k = "lr" + run + "-" + strconv.Itoa(n)
				}
				req, _ := http.NewRequest(http.MethodPost, url+"/v1/payments", strings.NewReader(string(mwBenchReq)))
				req.Header.Set(HeaderIdempotencyKey, k)
				resp, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			return float64(cpuNow() - start)
		}
		timeIt(mw.URL, "hit-key")
		for b.Loop() {
			ratios(b, rounds, func() float64 { return timeIt(mw.URL, "hit-key") / timeIt(base.URL, "hit-key") },
				func() float64 { return timeIt(mw.URL, "") / timeIt(base.URL, "") })
		}
	})
}

// ratios runs rounds of both measurements and reports their medians.
func ratios(b *testing.B, rounds int, hit, miss func() float64) {
	var h, m []float64
	for range rounds {
		h = append(h, hit())
		m = append(m, miss())
	}
	b.ReportMetric(median(h), "x-hit")
	b.ReportMetric(median(m), "x-miss")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
