package idempotency

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRawFingerprintUnchanged pins the raw fingerprint (no rules) and the
// store key to the values the middleware computed before the rules
// existed, byte for byte, so that records stored then still match (the
// values are those of the package at the commit before the rules, run on
// the same requests).
func TestRawFingerprintUnchanged(t *testing.T) {
	tests := []struct {
		opts     []Option
		body, ct string
		fp, sk   string
	}{
		{nil, `{"amount":2000,"currency":"usd"}`, "application/json", "eklOBgQJBpyZUJ3p17TerRo8q2S3Dus6", "0kv5wQg1z3-yLhPhq6fi-VNzezvdOstx"},
		{[]Option{WithRoute("POST /payments/{id}"), WithScopeHeaders("X-Tenant")}, "a=1&b=2", "text/plain", "FJpk9dvcJWtFVvVzNsks5MLkodb-HLjZ", "pGzK30z_lCEt4x93Kc-c7YqjSSA2ugIK"},
		{nil, "", "", "Ic7pSgIAcRc_jUEh11DmoWLi0scQme2E", "0kv5wQg1z3-yLhPhq6fi-VNzezvdOstx"},
	}
	for i, tt := range tests {
		if fp, sk := fingerprintOf(t, New(NewMemoryStore(0), tt.opts...), tt.body, tt.ct); fp != tt.fp || sk != tt.sk {
			t.Errorf("case %d: fingerprint %s, store key %s; want %s, %s", i, fp, sk, tt.fp, tt.sk)
		}
		// Any rule changes the fingerprint, never the store key.
		rules := append(tt.opts[:len(tt.opts):len(tt.opts)], WithFingerprintHeaders("X-Other"))
		if fp, sk := fingerprintOf(t, New(NewMemoryStore(0), rules...), tt.body, tt.ct); fp == tt.fp || sk != tt.sk {
			t.Errorf("case %d under a rule: fingerprint %s, store key %s; want another fingerprint, store key %s", i, fp, sk, tt.sk)
		}
	}
}

// fingerprintOf is the fingerprint and store key m computes for a POST
// with body (none when empty) of Content-Type ct (none when empty).
func fingerprintOf(t *testing.T, m *Middleware, body, ct string) (fp, sk string) {
	t.Helper()
	const target = "/payments/p%2F1?x=1&y=%20"
	r := httptest.NewRequest(http.MethodPost, target, nil)
	if body != "" {
		r = httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	}
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	r.Header.Set("X-Tenant", "t1")
	st := getState()
	defer putState(st)
	if err := st.readBody(r, DefaultMaxRequestBody); err != nil {
		t.Fatal(err)
	}
	return st.identify(m, r, "key-1")
}
