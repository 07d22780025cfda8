package idempotency

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

var formCT = []string{"Content-Type", "application/x-www-form-urlencoded"}

func TestBodyKeyReplays(t *testing.T) {
	for _, tc := range []struct {
		name, pointer string
		opts          []Option
		first, retry  string
		hdr           []string
	}{
		{"JSON", "/idempotency_key", nil,
			`{"idempotency_key":"k-1","amount":1}`, `{"idempotency_key":"k-1","amount":1}`, jsonCT},
		{"JSON nested, canonical", "/meta/idempotency_key", []Option{WithCanonicalJSON(true)},
			`{"meta":{"idempotency_key":"k-1"},"amount":1}`, `{"amount":1.0, "meta":{"idempotency_key":"k\u002d1"}}`, jsonCT},
		{"JSON without Content-Type", "/idempotency_key", nil,
			`{"idempotency_key":"k-1"}`, `{"idempotency_key":"k-1"}`, nil},
		{"JSON sf-string key", "/k", nil,
			`{"k":"\"k-1\""}`, `{"k":"\"k-1\""}`, jsonCT},
		{"form", "/idempotency_key", nil,
			"amount=1&idempotency_key=k-1", "amount=1&idempotency_key=k-1", formCT},
		{"form, escaped name and value, last token", "/payment/idempotency key", nil,
			"idempotency+key=k%2D1&amount=1", "idempotency+key=k%2D1&amount=1", formCT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHandler{}
			var ev events
			opts := append([]Option{WithKeyFromBody(tc.pointer), WithKeyRequired(true), WithObserver(ev.observe)}, tc.opts...)
			mw := New(NewMemoryStore(time.Minute), opts...).Handler(h)
			a := serve(mw, http.MethodPost, "/p", "", tc.first, tc.hdr...)
			b := serve(mw, http.MethodPost, "/p", "", tc.retry, tc.hdr...)
			if a.Code != http.StatusCreated || b.Code != http.StatusCreated || b.Header().Get(HeaderIdempotencyReplayed) != "true" {
				t.Fatalf("codes %d, %d (%s); replayed %q", a.Code, b.Code, b.Body, b.Header().Get(HeaderIdempotencyReplayed))
			}
			if h.runs.Load() != 1 {
				t.Fatalf("handler ran %d times, want 1", h.runs.Load())
			}
			// The handler read the body the middleware had read.
			var got struct{ Echo string }
			json.Unmarshal(a.Body.Bytes(), &got)
			if got.Echo != tc.first {
				t.Fatalf("handler saw body %q, want %q", got.Echo, tc.first)
			}
			if ev.got[0].Key != "k-1" {
				t.Fatalf("event key %q, want k-1", ev.got[0].Key)
			}
		})
	}
}

// The header is not read at all: an invalid one does not matter, and
// another key in it does not make the request another.
func TestBodyKeyIgnoresTheHeader(t *testing.T) {
	h := &countingHandler{}
	mw := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key")).Handler(h)
	body := `{"key":"k-1"}`
	a := serve(mw, http.MethodPost, "/p", "a,b", body, jsonCT...)
	b := serve(mw, http.MethodPost, "/p", "other", body, jsonCT...)
	if a.Code != http.StatusCreated || b.Header().Get(HeaderIdempotencyReplayed) != "true" || h.runs.Load() != 1 {
		t.Fatalf("codes %d, %d; replayed %q; runs %d", a.Code, b.Code, b.Header().Get(HeaderIdempotencyReplayed), h.runs.Load())
	}
	// Another body key is another key.
	if c := serve(mw, http.MethodPost, "/p", "", `{"key":"k-2"}`, jsonCT...); c.Code != http.StatusCreated || h.runs.Load() != 2 {
		t.Fatalf("a new body key: %d, runs %d", c.Code, h.runs.Load())
	}
}

func TestBodyKeyRefusals(t *testing.T) {
	long := strings.Repeat("k", MaxKeyLength+1)
	for _, tc := range []struct {
		name, body string
		hdr        []string
		code       string
		detail     string
	}{
		{"absent", `{"amount":1}`, jsonCT, CodeKeyMissing, "requires an idempotency key in the request body"},
		{"no body", "", jsonCT, CodeKeyMissing, "in the request body"},
		{"invalid JSON", `{"key":"k-1"`, jsonCT, CodeKeyMissing, "in the request body"},
		{"not JSON nor form", `{"key":"k-1"}`, []string{"Content-Type", "text/plain"}, CodeKeyMissing, "in the request body"},
		{"form without the field", "amount=1", formCT, CodeKeyMissing, "in the request body"},
		{"form field with a bad escape", "key=%zz", formCT, CodeKeyMissing, "in the request body"},
		{"number", `{"key":42}`, jsonCT, CodeKeyInvalid, "is not a string"},
		{"null", `{"key":null}`, jsonCT, CodeKeyInvalid, "is not a string"},
		{"object", `{"key":{"k":"v"}}`, jsonCT, CodeKeyInvalid, "is not a string"},
		{"empty", `{"key":""}`, jsonCT, CodeKeyInvalid, "is present but empty"},
		{"too long", `{"key":"` + long + `"}`, jsonCT, CodeKeyInvalid, "longer than 256 bytes"},
		{"control", `{"key":"a\u0000b"}`, jsonCT, CodeKeyInvalid, "control character"},
		{"non-ASCII", `{"key":"clé"}`, jsonCT, CodeKeyInvalid, "non-ASCII"},
		{"list", `{"key":"a,b"}`, jsonCT, CodeKeyInvalid, "holds a list"},
		{"repeated member", `{"key":"a","key":"a"}`, jsonCT, CodeKeyInvalid, "is repeated"},
		{"form, repeated", "key=a&key=b", formCT, CodeKeyInvalid, "is repeated"},
		{"form, too long", "key=" + long, formCT, CodeKeyInvalid, "longer than 256 bytes"},
		{"form, control", "key=a%01b", formCT, CodeKeyInvalid, "control character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &countingHandler{}
			var ev events
			mw := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key"), WithKeyRequired(true), WithObserver(ev.observe)).Handler(h)
			p := wantProblem(t, serve(mw, http.MethodPost, "/p", "valid-header-key", tc.body, tc.hdr...), http.StatusBadRequest, tc.code)
			if !strings.Contains(p.Detail, tc.detail) || strings.Contains(p.Detail, "header") {
				t.Errorf("detail %q, want one with %q that names the body, not the header", p.Detail, tc.detail)
			}
			if h.runs.Load() != 0 {
				t.Fatal("the handler ran")
			}
			want := OutcomeKeyMissing
			if tc.code == CodeKeyInvalid {
				want = OutcomeKeyInvalid
			}
			if got := ev.outcomes(); len(got) != 1 || got[0] != want || (want == OutcomeKeyInvalid && !strings.Contains(ev.got[0].Err.Error(), tc.detail)) {
				t.Fatalf("events %v (%v), want [%v] with the detail", got, ev.got[0].Err, want)
			}
		})
	}
}

// An optional body key that is absent runs the handler unguarded, with
// the body it would have read.
func TestBodyKeyOptionalAbsent(t *testing.T) {
	h := &countingHandler{}
	var ev events
	mw := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key"), WithObserver(ev.observe)).Handler(h)
	for range 2 {
		w := serve(mw, http.MethodPost, "/p", "header-key", `{"amount":1}`, jsonCT...)
		var got struct{ Echo string }
		json.Unmarshal(w.Body.Bytes(), &got)
		if w.Code != http.StatusCreated || got.Echo != `{"amount":1}` || w.Header().Get(HeaderIdempotencyReplayed) != "" {
			t.Fatalf("%d, echo %q, replayed %q", w.Code, got.Echo, w.Header().Get(HeaderIdempotencyReplayed))
		}
	}
	if h.runs.Load() != 2 || ev.count(OutcomeNoKey) != 2 {
		t.Fatalf("runs %d, events %v", h.runs.Load(), ev.outcomes())
	}
}

func TestBodyKeyTooLarge(t *testing.T) {
	h := &countingHandler{}
	mw := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key"), WithMaxRequestBody(16)).Handler(h)
	wantProblem(t, serve(mw, http.MethodPost, "/p", "", `{"key":"k-1","pad":"xxxxxxxx"}`, jsonCT...), http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
	if h.runs.Load() != 0 {
		t.Fatal("the handler ran")
	}
}

// CheckKey cannot see a body key and lets the request on; Serve checks.
func TestBodyKeyCheckKey(t *testing.T) {
	m := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key"), WithKeyRequired(true))
	for _, key := range []string{"", "a,b"} {
		if ok, w := checkKey(m, http.MethodPost, key); !ok || w.Code != http.StatusOK || w.Body.Len() != 0 {
			t.Fatalf("CheckKey with header %q: %v, wrote %d %q", key, ok, w.Code, w.Body)
		}
	}
}

func TestBodyKeyEcho(t *testing.T) {
	mw := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key"), WithEchoKey(true)).Handler(&countingHandler{})
	for i := range 2 {
		w := serve(mw, http.MethodPost, "/p", "", `{"key":"k-1"}`, jsonCT...)
		if got := w.Header().Values(HeaderIdempotencyKey); len(got) != 1 || got[0] != "k-1" {
			t.Fatalf("answer %d echoes %q, want the body key", i, got)
		}
	}
}

// A layer inside one that already claimed the request passes it on with
// its body.
func TestBodyKeyUnderOuterLayer(t *testing.T) {
	inner := &countingHandler{}
	in := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key")).Handler(inner)
	out := New(NewMemoryStore(time.Minute), WithKeyFromBody("/key")).Handler(in)
	body := `{"key":"k-1"}`
	a := serve(out, http.MethodPost, "/p", "", body, jsonCT...)
	b := serve(out, http.MethodPost, "/p", "", body, jsonCT...)
	var got struct{ Echo string }
	json.Unmarshal(a.Body.Bytes(), &got)
	if a.Code != http.StatusCreated || got.Echo != body || b.Header().Get(HeaderIdempotencyReplayed) != "true" || inner.runs.Load() != 1 {
		t.Fatalf("codes %d, %d, echo %q, runs %d", a.Code, b.Code, got.Echo, inner.runs.Load())
	}
}

// Every detail of a body key's problem was rewritten from the header's.
func TestBodyKeyDetailsNameTheBody(t *testing.T) {
	for e := keyEmpty; e <= keyNotString; e++ {
		if d := bodyKeyDetails[e]; !strings.HasPrefix(d, "The request body's idempotency key ") {
			t.Errorf("detail %d = %q", e, d)
		}
	}
	var p problemBody
	w := httptest.NewRecorder()
	probBodyKeyMissing.write(w)
	json.Unmarshal(w.Body.Bytes(), &p)
	if p.Code != CodeKeyMissing || w.Code != http.StatusBadRequest {
		t.Errorf("missing body key: %d %+v", w.Code, p)
	}
}
