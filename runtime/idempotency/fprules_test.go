package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// retryCase is a retry of a first request with the same key: replayed
// when same, else refused with 422.
type retryCase struct {
	name string
	body string
	same bool
	hdr  []string // extra header pairs of the retry
}

// checkRetries sends first, then each retry on a fresh store, and checks
// its answer and that the handler ran once.
func checkRetries(t *testing.T, opts []Option, first string, firstHdr []string, retries []retryCase) {
	t.Helper()
	for _, rc := range retries {
		t.Run(rc.name, func(t *testing.T) {
			h := &countingHandler{}
			mw := New(NewMemoryStore(time.Minute), opts...).Handler(h)
			if w := serve(mw, http.MethodPost, "/payments", "k", first, firstHdr...); w.Code != http.StatusCreated {
				t.Fatalf("first request: %d %s", w.Code, w.Body)
			}
			w := serve(mw, http.MethodPost, "/payments", "k", rc.body, rc.hdr...)
			switch {
			case rc.same && (w.Code != http.StatusCreated || w.Header().Get(HeaderIdempotencyReplayed) != "true"):
				t.Fatalf("retry %s: %d, replayed %q; want a replay", rc.body, w.Code, w.Header().Get(HeaderIdempotencyReplayed))
			case !rc.same:
				wantProblem(t, w, http.StatusUnprocessableEntity, CodeKeyReused)
			}
			if h.runs.Load() != 1 {
				t.Fatalf("handler ran %d times, want 1", h.runs.Load())
			}
		})
	}
}

var jsonCT = []string{"Content-Type", "application/json"}

const paymentBody = `{"amount":2000,"currency":"usd","customer":{"id":"cus_1","tags":["a","b"]}}`

func TestCanonicalJSONRetries(t *testing.T) {
	checkRetries(t, []Option{WithCanonicalJSON(true)}, paymentBody, jsonCT, []retryCase{
		{"same bytes", paymentBody, true, jsonCT},
		{"reordered", `{"customer":{"tags":["a","b"],"id":"cus_1"},"currency":"usd","amount":2000}`, true, jsonCT},
		{"re-spaced", "{ \"amount\" : 2000,\n\t\"currency\":\"usd\" , \"customer\":{\"id\":\"cus_1\",\"tags\":[ \"a\" , \"b\" ]} }\n", true, jsonCT},
		{"numerically equal", `{"amount":2.0e3,"currency":"usd","customer":{"id":"cus_1","tags":["a","b"]}}`, true, jsonCT},
		{"escaped equally", `{"amount":2000,"currency":"\u0075sd","customer":{"id":"cus\u005f1","tags":["a","b"]}}`, true, jsonCT},
		{"+json type", paymentBody, true, []string{"Content-Type", "application/merge-patch+json; charset=utf-8"}},
		{"no Content-Type, tried as JSON", `{"currency":"usd","amount":2000,"customer":{"id":"cus_1","tags":["a","b"]}}`, true, nil},
		{"amount changed", `{"amount":2001,"currency":"usd","customer":{"id":"cus_1","tags":["a","b"]}}`, false, jsonCT},
		{"array reordered", `{"amount":2000,"currency":"usd","customer":{"id":"cus_1","tags":["b","a"]}}`, false, jsonCT},
		{"field added", `{"amount":2000,"currency":"usd","customer":{"id":"cus_1","tags":["a","b"]},"x":null}`, false, jsonCT},
		{"string for number", `{"amount":"2000","currency":"usd","customer":{"id":"cus_1","tags":["a","b"]}}`, false, jsonCT},
		{"not JSON by its type", `{"currency":"usd","amount":2000,"customer":{"id":"cus_1","tags":["a","b"]}}`, false, []string{"Content-Type", "text/plain"}},
	})
}

// Without a rule the fingerprint stays the raw bytes: a reordered body is
// another request, as before the rules.
func TestRawFingerprintRefusesReorderedJSON(t *testing.T) {
	checkRetries(t, nil, paymentBody, jsonCT, []retryCase{
		{"same bytes", paymentBody, true, jsonCT},
		{"reordered", `{"currency":"usd","amount":2000,"customer":{"id":"cus_1","tags":["a","b"]}}`, false, jsonCT},
		{"re-spaced", paymentBody + "\n", false, jsonCT},
	})
	checkRetries(t, []Option{WithCanonicalJSON(true), WithCanonicalJSON(false)}, paymentBody, jsonCT, []retryCase{
		{"turned off again", `{"currency":"usd","amount":2000,"customer":{"id":"cus_1","tags":["a","b"]}}`, false, jsonCT},
	})
}

// A body the JSON rules cannot read counts as its bytes: never a 500.
func TestCanonicalJSONInvalidBodiesAreBytes(t *testing.T) {
	const bad = `{"amount":2000,"currency":"usd"`
	for _, opts := range [][]Option{
		{WithCanonicalJSON(true)},
		{WithFingerprintIgnore("/currency")},
		{WithFingerprintOnly("/amount")},
	} {
		checkRetries(t, opts, bad, jsonCT, []retryCase{
			{"same invalid bytes", bad, true, jsonCT},
			{"other invalid bytes", bad + " ", false, jsonCT},
			{"now valid", bad + "}", false, jsonCT},
		})
		const dup = `{"amount":1,"amount":2000}`
		checkRetries(t, opts, dup, jsonCT, []retryCase{
			{"repeated member, same bytes", dup, true, jsonCT},
			{"repeated member, the last alone", `{"amount":2000}`, false, jsonCT},
			{"repeated member, the first alone", `{"amount":1}`, false, jsonCT},
		})
	}
}

func TestFingerprintIgnore(t *testing.T) {
	first := `{"amount":2000,"client_ts":"2026-01-01T00:00:00Z","meta":{"a/b":1,"m~n":2,"keep":3},"items":[{"nonce":"x1"},{"sku":"s"}]}`
	opts := []Option{WithFingerprintIgnore("/client_ts", "/meta/a~1b", "/meta/m~0n", "/items/0", "/nowhere", "not a pointer")}
	checkRetries(t, opts, first, jsonCT, []retryCase{
		{"volatile fields changed", `{"amount":2000,"client_ts":"2026-01-01T00:00:09Z","meta":{"a/b":7,"m~n":8,"keep":3},"items":[{"nonce":"x2"},{"sku":"s"}]}`, true, jsonCT},
		{"volatile fields absent", `{"items":[null,{"sku":"s"}],"meta":{"keep":3},"amount":2000}`, true, jsonCT},
		{"reordered", `{"items":[{"nonce":"x1"},{"sku":"s"}],"meta":{"keep":3,"m~n":2,"a/b":1},"client_ts":"2026-01-01T00:00:00Z","amount":2e3}`, true, jsonCT},
		{"significant field changed", `{"amount":2001,"client_ts":"2026-01-01T00:00:00Z","meta":{"a/b":1,"m~n":2,"keep":3},"items":[{"nonce":"x1"},{"sku":"s"}]}`, false, jsonCT},
		{"kept member changed", `{"amount":2000,"client_ts":"2026-01-01T00:00:00Z","meta":{"a/b":1,"m~n":2,"keep":4},"items":[{"nonce":"x1"},{"sku":"s"}]}`, false, jsonCT},
		{"element after the ignored one changed", `{"amount":2000,"client_ts":"2026-01-01T00:00:00Z","meta":{"a/b":1,"m~n":2,"keep":3},"items":[{"nonce":"x1"},{"sku":"t"}]}`, false, jsonCT},
		{"ignored element dropped, the rest shifts", `{"amount":2000,"client_ts":"2026-01-01T00:00:00Z","meta":{"a/b":1,"m~n":2,"keep":3},"items":[{"sku":"s"}]}`, false, jsonCT},
	})
}

func TestFingerprintOnly(t *testing.T) {
	first := `{"amount":2000,"currency":"usd","note":"first try","sub":{"x":1,"y":2}}`
	opts := []Option{WithFingerprintOnly("/currency", "/amount", "/sub"), WithFingerprintIgnore("/sub/y")}
	checkRetries(t, opts, first, jsonCT, []retryCase{
		{"other fields changed", `{"amount":2000,"currency":"usd","note":"second try","sub":{"x":1,"y":3},"extra":true}`, true, jsonCT},
		{"other fields absent", `{"currency":"usd","amount":2000.00,"sub":{"x":1}}`, true, jsonCT},
		{"a counted field changed", `{"amount":2000,"currency":"eur","note":"first try","sub":{"x":1,"y":2}}`, false, jsonCT},
		{"a nested counted field changed", `{"amount":2000,"currency":"usd","note":"first try","sub":{"x":2,"y":2}}`, false, jsonCT},
		{"a counted field absent", `{"amount":2000,"note":"first try","sub":{"x":1,"y":2}}`, false, jsonCT},
		{"a field added inside a counted one", `{"amount":2000,"currency":"usd","note":"first try","sub":{"x":1,"y":2,"z":0}}`, false, jsonCT},
	})
	// Absent and null differ.
	checkRetries(t, []Option{WithFingerprintOnly("/a")}, `{"b":1}`, jsonCT, []retryCase{
		{"still absent", `{"b":2}`, true, jsonCT},
		{"null", `{"a":null,"b":1}`, false, jsonCT},
		{"not an object", `[1]`, true, jsonCT},
	})
}

func TestFingerprintHeaders(t *testing.T) {
	first := []string{"Content-Type", "application/json", "X-Api-Version", "1", "X-Api-Version", "2"}
	checkRetries(t, []Option{WithFingerprintHeaders("x-api-version", "content-type")}, paymentBody, first, []retryCase{
		{"same headers", paymentBody, true, first},
		{"other headers do not count", paymentBody, true, append([]string{"X-Other", "z"}, first...)},
		{"another Content-Type", paymentBody, false, []string{"Content-Type", "text/plain", "X-Api-Version", "1", "X-Api-Version", "2"}},
		{"values reordered", paymentBody, false, []string{"Content-Type", "application/json", "X-Api-Version", "2", "X-Api-Version", "1"}},
		{"a value missing", paymentBody, false, []string{"Content-Type", "application/json", "X-Api-Version", "1"}},
		{"raw body still counts", `{"currency":"usd","amount":2000,"customer":{"id":"cus_1","tags":["a","b"]}}`, false, first},
	})
	// Without the rule, headers do not count (as before).
	checkRetries(t, nil, paymentBody, first, []retryCase{
		{"another Content-Type", paymentBody, true, []string{"Content-Type", "text/plain"}},
	})
}

// A record stored before the rules were turned on is another request for
// a middleware with rules: 422, never a replay of a different reading.
func TestRulesDoNotMatchRawRecords(t *testing.T) {
	store := NewMemoryStore(time.Minute)
	h := &countingHandler{}
	serve(New(store).Handler(h), http.MethodPost, "/p", "k", paymentBody, jsonCT...)
	w := serve(New(store, WithCanonicalJSON(true)).Handler(h), http.MethodPost, "/p", "k", paymentBody, jsonCT...)
	wantProblem(t, w, http.StatusUnprocessableEntity, CodeKeyReused)
}

func TestValidPointer(t *testing.T) {
	for _, p := range []string{"", "/", "/a", "/a/b", "/a~0b", "/a~1b", "/~01", "/0", "/-", "//", "/é"} {
		if err := ValidPointer(p); err != nil {
			t.Errorf("ValidPointer(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"a", "a/b", "/a~", "/a~2", "/~x", "/\xff"} {
		if ValidPointer(p) == nil {
			t.Errorf("ValidPointer(%q) = nil, want an error", p)
		}
	}
	if got := parsePointer("/~01/a~1b/~0").toks; strings.Join(got, "|") != "~1|a/b|~" {
		t.Errorf("tokens of /~01/a~1b/~0 = %q", got)
	}
}

// The JSON rules are computed for the operations that ask for them only:
// a middleware without them never parses the body.
func TestRawPathDoesNotParse(t *testing.T) {
	m := New(NewMemoryStore(0))
	r := httptest.NewRequest(http.MethodPost, "/p", strings.NewReader(paymentBody))
	st := getState()
	defer putState(st)
	if err := st.readBody(r, DefaultMaxRequestBody); err != nil {
		t.Fatal(err)
	}
	st.identify(m, r, "k")
	if st.parsed {
		t.Fatal("the raw fingerprint parsed the body")
	}
}

// FuzzFingerprintRules sends any body twice through middlewares with the
// rules and a body key: never a 5xx, and the second answer is the first's
// (a replay of a 201, or the same refusal).
func FuzzFingerprintRules(f *testing.F) {
	f.Add([]byte(`{"k":"a","amount":1,"ts":"x"}`), "application/json")
	f.Add([]byte(`{"k":"a","amount":1.0,"ts":"y"}`), "")
	f.Add([]byte("k=a&amount=1"), "application/x-www-form-urlencoded")
	f.Add([]byte(`{"k":"a","k":"b"}`), "application/json")
	f.Add([]byte(`{"k":"a"`), "application/json")
	h := &countingHandler{}
	store := NewMemoryStore(time.Minute)
	mws := []http.Handler{
		New(store, WithRoute("a"), WithKeyFromBody("/k"), WithFingerprintIgnore("/ts", "/items/0", "/x~1y")).Handler(h),
		New(store, WithRoute("b"), WithKeyFromBody("/k"), WithFingerprintOnly("/amount", "/", "/items/-")).Handler(h),
		New(store, WithRoute("c"), WithCanonicalJSON(true), WithFingerprintHeaders("Content-Type")).Handler(h),
	}
	f.Fuzz(func(t *testing.T, body []byte, ct string) {
		for _, mw := range mws {
			var codes [2]int
			for i := range codes {
				r := httptest.NewRequest(http.MethodPost, "/f", strings.NewReader(string(body)))
				r.Header.Set("Content-Type", ct)
				r.Header.Set(HeaderIdempotencyKey, "fuzz")
				w := httptest.NewRecorder()
				mw.ServeHTTP(w, r)
				codes[i] = w.Code
				if w.Code >= 500 {
					t.Fatalf("%q (%q): %d %s", body, ct, w.Code, w.Body)
				}
			}
			if codes[0] != codes[1] {
				t.Fatalf("%q (%q): %d, then %d", body, ct, codes[0], codes[1])
			}
		}
	})
}

// The order the pointers and header names are given in does not change
// the fingerprint: a deploy that lists them otherwise still replays the
// records stored before it.
func TestRuleOrderDoesNotMatter(t *testing.T) {
	store := NewMemoryStore(time.Minute)
	h := &countingHandler{}
	body := `{"a":1,"b":2,"c":3,"d":4}`
	hdr := []string{"Content-Type", "application/json", "X-A", "1", "X-B", "2"}
	before := New(store, WithFingerprintOnly("/b", "/a", "/c"), WithFingerprintIgnore("/c", "/a"), WithFingerprintHeaders("X-B", "x-a", "X-B")).Handler(h)
	after := New(store, WithFingerprintOnly("/a", "/c", "/b", "/a"), WithFingerprintIgnore("/a", "/c"), WithFingerprintHeaders("X-A", "X-B")).Handler(h)
	serve(before, http.MethodPost, "/p", "k", body, hdr...)
	if w := serve(after, http.MethodPost, "/p", "k", body, hdr...); w.Header().Get(HeaderIdempotencyReplayed) != "true" || h.runs.Load() != 1 {
		t.Fatalf("%d %s, runs %d; want a replay", w.Code, w.Body, h.runs.Load())
	}
}
