package idemclient

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Requests that match no route are sent as they are, once.
func TestUnmatchedRequestsPassThrough(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ method, path string }{
		{"POST", "/v1/other"},
		{"GET", objectsPath},      // the method differs
		{"POST", "/v1/objects/7"}, // a longer path
		{"POST", "/v1/myobjects"}, // not at a segment boundary
	} {
		s, srv := newScripted(t, status(http.StatusServiceUnavailable, "Retry-After", "0"))
		sl := &sleeps{}
		tr := &Transport{Routes: objectRoutes, sleep: sl.sleep}
		ctx, call := WithCall(context.Background())
		req, _ := http.NewRequestWithContext(ctx, tc.method, srv.URL+tc.path, strings.NewReader("x"))
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || s.attempts() != 1 || len(s.keys[0]) != 0 || *call != (Call{}) {
			t.Errorf("%s %s: status %d, %d attempts, keys %q, call %+v: want one untouched attempt",
				tc.method, tc.path, resp.StatusCode, s.attempts(), s.keys, call)
		}
	}
}

func TestCallerKeyIsKeptAndRequestUnchanged(t *testing.T) {
	t.Parallel()
	s, srv := newScripted(t, status(http.StatusBadGateway), status(http.StatusCreated))
	tr := &Transport{Routes: objectRoutes, sleep: (&sleeps{}).sleep}
	ctx, call := WithCall(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+objectsPath, strings.NewReader("body"))
	req.Header.Set("Idempotency-Key", "order-42")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || call.Key != "order-42" || call.Attempts != 2 {
		t.Fatalf("status %d, call %+v", resp.StatusCode, call)
	}
	for i, k := range s.keys {
		if len(k) != 1 || k[0] != "order-42" || s.bodies[i] != "body" {
			t.Errorf("attempt %d: keys %q body %q", i+1, k, s.bodies[i])
		}
	}

	// The transport's own key is set on copies, never on the caller's request.
	req, _ = http.NewRequest("POST", srv.URL+objectsPath, strings.NewReader("body"))
	resp, err = tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := req.Header.Get("Idempotency-Key"); got != "" {
		t.Errorf("caller's request gained Idempotency-Key %q", got)
	}
}

// A body the transport cannot produce again is sent once, with its key.
func TestBodyWithoutGetBodyIsSentOnce(t *testing.T) {
	t.Parallel()
	s, srv := newScripted(t, status(http.StatusServiceUnavailable, "Retry-After", "0"), status(http.StatusCreated))
	tr := &Transport{Routes: objectRoutes, sleep: (&sleeps{}).sleep}
	ctx, call := WithCall(context.Background())
	body := io.MultiReader(strings.NewReader("once")) // hides the *strings.Reader from NewRequest
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+objectsPath, body)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || s.attempts() != 1 || call.Attempts != 1 || len(s.keys[0]) != 1 || s.keys[0][0] != call.Key {
		t.Errorf("status %d, %d attempts, keys %q, call %+v: want one keyed attempt", resp.StatusCode, s.attempts(), s.keys, call)
	}
}
