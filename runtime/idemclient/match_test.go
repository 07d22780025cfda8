package idemclient

import (
	"net/http"
	"testing"
)

func TestMatch(t *testing.T) {
	tr := &Transport{Routes: []Route{
		{Method: "POST", Pattern: "/payments"},
		{Method: "post", Pattern: "/payments/{id}/refunds", Policy: Policy{Required: true}},
		{Method: "PUT", Pattern: "/files/{name}.json"},
		{Method: "PATCH", Pattern: "/payments/{id}"},
		{Method: "PATCH", Pattern: "/payments/current"},
		{Method: "DELETE", Pattern: "/"},
	}}
	tr.compile()
	for _, tc := range []struct {
		method, path string
		want         string // the pattern matched, "" for none
	}{
		{"POST", "/payments", "/payments"},
		{"post", "/payments/", "/payments"},
		{"POST", "/v1/payments", "/payments"},
		{"POST", "/v1/payments/7/refunds", "/payments/{id}/refunds"},
		{"POST", "/payments/a%2Fb/refunds", "/payments/{id}/refunds"}, // an encoded slash stays in its segment
		{"POST", "/Payments/7/Refunds", "/payments/{id}/refunds"},
		{"POST", "/payments//refunds", ""}, // {id} takes a non-empty segment
		{"POST", "/mypayments", ""},
		{"POST", "/payments/7", ""},
		{"GET", "/payments", ""},
		{"PUT", "/files/report.json", "/files/{name}.json"},
		{"PUT", "/files/.json", ""},
		{"PUT", "/files/report.xml", ""},
		{"PATCH", "/payments/7", "/payments/{id}"},
		{"PATCH", "/payments/current", "/payments/current"}, // the literal beats the parameter
		{"DELETE", "/", "/"},
		{"DELETE", "/payments", ""}, // the root template is the root only
	} {
		req, _ := http.NewRequest(tc.method, "http://example.test"+tc.path, nil)
		got := ""
		if r := tr.match(req); r != nil {
			for i, cr := range tr.routes {
				if cr == r {
					got = tr.Routes[i].Pattern
				}
			}
		}
		if got != tc.want {
			t.Errorf("%s %s matched %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
