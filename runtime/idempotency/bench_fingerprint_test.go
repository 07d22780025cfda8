package idempotency

// BenchmarkFingerprintRules times the hit path (a replay) of the whole
// middleware under each fingerprint rule beside the raw fingerprint, in
// one run, so that their costs compare directly:
//
//	go test -run '^$' -bench FingerprintRules -benchmem -cpu 1,2 ./runtime/idempotency

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchBodies are a small body (the other benchmarks' request) and one of
// about 2 KiB with nesting and an array, both carrying a body key.
var benchBodies = []struct {
	name string
	body []byte
}{
	{"small", []byte(`{"amount":2000,"currency":"usd","customer":"cus_OKWM9d0PV1s1Ur","idempotency_key":"hit-key"}`)},
	{"2k", largeBenchBody()},
}

func largeBenchBody() []byte {
	var b strings.Builder
	b.WriteString(`{"idempotency_key":"hit-key","client_ts":"2026-01-01T00:00:00Z","amount":2000,"currency":"usd","items":[`)
	for i := range 24 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"sku":"sku_` + strconv.Itoa(i) + `","qty":` + strconv.Itoa(i%5+1) + `,"price":19.99,"note":"gift wrap, \"fragile\""}`)
	}
	b.WriteString(`],"customer":{"id":"cus_OKWM9d0PV1s1Ur","email":"a@example.com","tags":["vip","eu"]}}`)
	return []byte(b.String())
}

func BenchmarkFingerprintRules(b *testing.B) {
	rules := []struct {
		name string
		opts []Option
	}{
		{"raw", nil},
		{"canonical", []Option{WithCanonicalJSON(true)}},
		{"ignore", []Option{WithFingerprintIgnore("/client_ts", "/customer/email")}},
		{"only", []Option{WithFingerprintOnly("/amount", "/currency", "/customer/id")}},
		{"headers", []Option{WithFingerprintHeaders("Content-Type")}},
		{"body-key", []Option{WithKeyFromBody("/idempotency_key")}},
	}
	for _, body := range benchBodies {
		for _, rule := range rules {
			b.Run("body="+body.name+"/rule="+rule.name, func(b *testing.B) {
				c := newClient(New(NewMemoryStore(time.Hour), rule.opts...).Handler(mwBenchHandler), "")
				c.body.b = body.body
				c.r.ContentLength = int64(len(body.body))
				if code := c.do("hit-key", 0); code != http.StatusCreated {
					b.Fatalf("first request: %d", code)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(body.body)))
				for b.Loop() {
					if c.do("hit-key", 0) != http.StatusCreated || c.w.h.Get(HeaderIdempotencyReplayed) != "true" {
						b.Fatal("not a replay")
					}
				}
			})
		}
	}
}
