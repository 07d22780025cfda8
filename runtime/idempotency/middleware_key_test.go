package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseKey(t *testing.T) {
	long := strings.Repeat("k", MaxKeyLength)
	tests := []struct {
		in   string
		want string
		err  keyError
	}{
		{"abc", "abc", keyOK},
		{"  abc\t", "abc", keyOK},
		{`"abc"`, "abc", keyOK},
		{` "abc" `, "abc", keyOK},
		{`"a\"b\\c"`, `a"b\c`, keyOK},
		{`"a b"`, "a b", keyOK},
		{"1700000000000000000_AbC-_9", "1700000000000000000_AbC-_9", keyOK}, // stripe-go shape
		{"8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324", keyOK},
		{long, long, keyOK},
		{`"` + long + `"`, long, keyOK},
		{"", "", keyEmpty},
		{"   ", "", keyEmpty},
		{`""`, "", keyEmpty},
		{long + "k", "", keyTooLong},
		{`"` + long + `k"`, "", keyTooLong},
		{strings.Repeat("x", 10<<10), "", keyTooLong},
		{"a\x00b", "", keyControl},
		{"a\x1fb", "", keyControl},
		{"a\x7fb", "", keyControl},
		{`"a` + "\x01" + `"`, "", keyControl},
		{"clé", "", keyNonASCII},
		{"\xff\xfe", "", keyNonASCII},
		{`"clé"`, "", keyNonASCII},
		{"a,b", "", keyList},
		{`"a", "b"`, "", keyList},
		{`"a",`, "", keyList},
		{`"abc`, "", keyBadString},
		{`"a\b"`, "", keyBadString},
		{`"a\`, "", keyBadString},
		{`"a";p=1`, "", keyBadString},
		{`"a\"`, "", keyBadString},
	}
	for _, tt := range tests {
		got, err := parseKey(tt.in)
		if got != tt.want || err != tt.err {
			t.Errorf("parseKey(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestInvalidKeysGet400(t *testing.T) {
	cases := map[string][]string{
		"empty":       {""},
		"over 256":    {strings.Repeat("k", MaxKeyLength+1)},
		"10 KB":       {strings.Repeat("k", 10<<10)},
		"control":     {"ab\x00cd"},
		"binary":      {"\x00\x01\x02\xff\xfe"},
		"non-ASCII":   {"schlüssel"},
		"list":        {`"a", "b"`},
		"repeated":    {"a", "a"},
		"bad sf":      {`"unterminated`},
		"sf escaped":  {`"a\x"`},
		"sf trailing": {`"a" b`},
	}
	for name, vals := range cases {
		t.Run(name, func(t *testing.T) {
			h := &countingHandler{}
			var ev events
			m := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe))
			r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader("{}"))
			r.Header[HeaderIdempotencyKey] = vals
			w := httptest.NewRecorder()
			m.Handler(h).ServeHTTP(w, r)
			wantProblem(t, w, http.StatusBadRequest, CodeKeyInvalid)
			if h.runs.Load() != 0 {
				t.Fatal("handler ran for an invalid key")
			}
			if got := ev.outcomes(); len(got) != 1 || got[0] != OutcomeKeyInvalid {
				t.Fatalf("events = %v, want [key_invalid]", got)
			}
		})
	}
}

func TestSFStringKeyIsTheBareKey(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
	first := serve(mw, http.MethodPost, "/p", `"abc"`, "{}")
	second := serve(mw, http.MethodPost, "/p", "abc", "{}")
	if first.Code != http.StatusCreated || second.Header().Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf(`"abc" then abc: codes %d, %d; replayed %q`, first.Code, second.Code, second.Header().Get(HeaderIdempotencyReplayed))
	}
	if h.runs.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", h.runs.Load())
	}
}

func TestRealClientKeyShapes(t *testing.T) {
	keys := []string{
		"1732665600123456789_a-B_9z",                  // stripe-go: UnixNano + 6 base64url chars
		"18446744073709551615",                        // Firefox-style 64-bit number
		"8e03978e-40d5-43e8-bc93-6894a57f9324",        // UUID
		`"8e03978e-40d5-43e8-bc93-6894a57f9324"`,      // the IETF draft's sf-string form
		"key with spaces and !#$%&'()*+-./:;<=>?@[]^", // printable ASCII
	}
	for _, k := range keys {
		h := &countingHandler{}
		mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
		a := serve(mw, http.MethodPost, "/charges", k, `{"amount":1}`)
		b := serve(mw, http.MethodPost, "/charges", k, `{"amount":1}`)
		if a.Code != http.StatusCreated || b.Code != http.StatusCreated || b.Body.String() != a.Body.String() {
			t.Errorf("key %q: %d %q then %d %q", k, a.Code, a.Body, b.Code, b.Body)
		}
		if h.runs.Load() != 1 {
			t.Errorf("key %q: handler ran %d times", k, h.runs.Load())
		}
	}
}

func TestNoKey(t *testing.T) {
	t.Run("optional", func(t *testing.T) {
		h := &countingHandler{}
		var ev events
		mw := NewMiddleware(NewMemoryStore(time.Minute), WithObserver(ev.observe)).Handler(h)
		for range 2 {
			if w := serve(mw, http.MethodPost, "/p", "", "{}"); w.Code != http.StatusCreated || w.Header().Get(HeaderIdempotencyReplayed) != "" {
				t.Fatalf("code %d, replayed %q", w.Code, w.Header().Get(HeaderIdempotencyReplayed))
			}
		}
		if h.runs.Load() != 2 || !ev.has(OutcomeNoKey) {
			t.Fatalf("runs %d, events %v; want 2 runs and no_key", h.runs.Load(), ev.outcomes())
		}
	})
	t.Run("required", func(t *testing.T) {
		h := &countingHandler{}
		var ev events
		mw := NewMiddleware(NewMemoryStore(time.Minute), WithKeyRequired(true), WithObserver(ev.observe)).Handler(h)
		wantProblem(t, serve(mw, http.MethodPost, "/p", "", "{}"), http.StatusBadRequest, CodeKeyMissing)
		if h.runs.Load() != 0 || !ev.has(OutcomeKeyMissing) {
			t.Fatalf("runs %d, events %v", h.runs.Load(), ev.outcomes())
		}
	})
}

func TestMethods(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithKeyRequired(true)).Handler(h)
	// Safe methods and unconfigured ones pass through, key or not.
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete} {
		before := h.runs.Load()
		serve(mw, method, "/p", "k", "")
		serve(mw, method, "/p", "k", "")
		if h.runs.Load()-before != 2 {
			t.Errorf("%s: handler ran %d times, want 2 (not guarded)", method, h.runs.Load()-before)
		}
	}
	for _, method := range []string{http.MethodPost, http.MethodPatch} {
		before := h.runs.Load()
		serve(mw, method, "/p", "k-"+method, "{}")
		serve(mw, method, "/p", "k-"+method, "{}")
		if h.runs.Load()-before != 1 {
			t.Errorf("%s: handler ran %d times, want 1 (guarded)", method, h.runs.Load()-before)
		}
	}
	// WithMethods replaces the set and still refuses the safe ones.
	h2 := &countingHandler{}
	mw2 := NewMiddleware(NewMemoryStore(time.Minute), WithMethods("put", "GET")).Handler(h2)
	serve(mw2, http.MethodPut, "/p", "k", "{}")
	serve(mw2, http.MethodPut, "/p", "k", "{}")
	serve(mw2, http.MethodGet, "/p", "k", "")
	serve(mw2, http.MethodGet, "/p", "k", "")
	serve(mw2, http.MethodPost, "/p", "k", "{}")
	if h2.runs.Load() != 4 {
		t.Fatalf("WithMethods(put, GET): handler ran %d times, want 4 (PUT once, GET twice, POST once)", h2.runs.Load())
	}
}
