package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// FuzzParseKey checks the key parser's invariants on any header value: it
// never panics, an accepted key obeys every rule, and a bare accepted key
// round-trips through its sf-string form.
func FuzzParseKey(f *testing.F) {
	for _, s := range []string{
		"abc", `"abc"`, `"a\"b"`, `"a\\b"`, "", `""`, " k ", "a,b", `"a", "b"`,
		"1732665600123456789_a-B_9z", "\x00", "\xff", `"`, `"\`, `"a";x=1`,
		strings.Repeat("k", MaxKeyLength), strings.Repeat("k", MaxKeyLength+1),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		key, err := parseKey(v)
		if err != keyOK {
			if key != "" {
				t.Fatalf("parseKey(%q) returned key %q with error %v", v, key, err)
			}
			if err.Detail() == "" || probKeyInvalid[err].status != http.StatusBadRequest {
				t.Fatalf("error %d has no 400 problem", err)
			}
			return
		}
		if key == "" || len(key) > MaxKeyLength {
			t.Fatalf("parseKey(%q) accepted %q of length %d", v, key, len(key))
		}
		for i := 0; i < len(key); i++ {
			if c := key[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("parseKey(%q) accepted byte %#x", v, c)
			}
		}
		if !strings.Contains(key, `"`) && !strings.Contains(key, `\`) && !strings.Contains(key, ",") &&
			key == trimOWS(key) {
			if back, err := parseKey(`"` + key + `"`); err != keyOK || back != key {
				t.Fatalf("sf-string form of %q gave %q, %v", key, back, err)
			}
		}
	})
}

// FuzzMiddleware sends arbitrary keys, bodies and queries through the whole
// middleware: it never panics, the handler runs at most once per key and
// fingerprint, and every refusal is a problem body.
func FuzzMiddleware(f *testing.F) {
	f.Add("k", "q=1", []byte(`{}`))
	f.Add(`"k"`, "", []byte{0, 1, 2})
	f.Add("\x00", "a=%zz", []byte(nil))
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithMaxRequestBody(64)).Handler(h)
	f.Fuzz(func(t *testing.T, key, query string, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/f", strings.NewReader(string(body)))
		r.URL.RawQuery = query
		r.Header[HeaderIdempotencyKey] = []string{key}
		before := h.runs.Load()
		for range 2 {
			w := httptest.NewRecorder()
			r2 := r.Clone(r.Context())
			r2.Body = http.NoBody
			if len(body) > 0 {
				r2.Body = httptest.NewRequest(http.MethodPost, "/f", strings.NewReader(string(body))).Body
				r2.ContentLength = int64(len(body))
			}
			mw.ServeHTTP(w, r2)
			if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
				t.Fatalf("refusal %d without problem body", w.Code)
			}
		}
		if runs := h.runs.Load() - before; runs > 1 {
			t.Fatalf("handler ran %d times for one key", runs)
		}
	})
}

// FuzzRouterMatch feeds arbitrary route templates, request patterns and
// paths to the route matcher: it must never panic, and an exact template
// always matches itself as a request pattern.
func FuzzRouterMatch(f *testing.F) {
	f.Add("/payments/{id}", "POST /v1/payments/{pid}", "/payments/1")
	f.Add("/{$}", "", "/")
	f.Add("", "POST", "")
	f.Add("/a/{p...}", "example.com/a/{x}", "/a/b/c")
	f.Fuzz(func(t *testing.T, template, pattern, path string) {
		rt := newRouter(NewMemoryStore(time.Minute), []Route{{Method: "POST", Pattern: template}}, nil)
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Method = http.MethodPost
		r.URL.Path = path
		r.Pattern = pattern
		rt.match(r)
		r.Pattern = ""
		rt.match(r)
		if strings.HasPrefix(template, "/") {
			r.Pattern = "POST " + template
			if rt.match(r) == nil {
				t.Fatalf("template %q does not match itself", template)
			}
		}
	})
}
