package idempotency

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkRatio times baseline and middleware in alternating rounds on
// the hit and miss paths and reports each median ratio (x-hit, x-miss),
// in process and over loopback HTTP, and the extra allocations per hit
// request in process (allocs-hit).
func BenchmarkRatio(b *testing.B) {
	const rounds = 9
	b.Run("in-process", func(b *testing.B) {
		const perRound = 20000
		run := strconv.FormatInt(benchRun.Add(1), 10)
		base := newClient(mwBenchHandler, "rb"+run+"-")
		hit := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler), "")
		miss := newClient(NewMiddleware(NewMemoryStore(time.Hour)).Handler(mwBenchHandler), "rm"+run+"-")
		hit.do("hit-key", 0)
		n := 0
		timeIt := func(c *client, key string) float64 {
			start := time.Now()
			for range perRound {
				n++
				c.do(key, n)
			}
			return float64(time.Since(start))
		}
		for b.Loop() {
			ratios(b, rounds, func() float64 { return timeIt(hit, "hit-key") / timeIt(base, "hit-key") },
				func() float64 { return timeIt(miss, "") / timeIt(base, "") })
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
			start := time.Now()
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
			return float64(time.Since(start))
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
