// Package adaptertest holds helpers for the framework adapters' tests, over
// real HTTP: each suite serves its framework on a listener on 127.0.0.1 and
// checks what a client gets back, so the client side is the same for all of
// them and lives here.
//
//	url := srv.URL + "/orders"
//	first := adaptertest.Post(t, url, "k1", `{"amount":5}`)
//	again := adaptertest.Post(t, url, "k1", `{"amount":5}`)
//	adaptertest.CheckReplay(t, first, again)
//	adaptertest.CheckProblem(t, adaptertest.Post(t, url, "k1", `{"amount":6}`),
//		http.StatusUnprocessableEntity, idempotency.CodeKeyReused)
package adaptertest

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Reply is a response as the client got it, its body read in full.
type Reply struct {
	Status int
	Header http.Header
	Body   string
}

// Send makes one request with c (http.DefaultClient if nil), with key as
// its Idempotency-Key (none if empty). header is more header lines, name
// then value, added as given, not in canonical form, so that a test can send
// names the way a client might; a pair with an empty value is left out, as
// if not given, so that a caller can pass an optional header (an
// Accept-Encoding to try, or none) without a branch.
func Send(c *http.Client, method, url, key, body string, header ...string) (Reply, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	if key != "" {
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] != "" {
			req.Header[header[i]] = append(req.Header[header[i]], header[i+1])
		}
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return Reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Reply{resp.StatusCode, resp.Header, string(b)}, err
}

// SendJSON is Send with http.DefaultClient and a JSON body, as the
// generated servers' clients send it.
func SendJSON(method, url, key, body string, header ...string) (Reply, error) {
	return Send(nil, method, url, key, body, append([]string{"Content-Type", "application/json"}, header...)...)
}

// Post sends a JSON POST with key (none if empty) and ends the test if the
// request fails.
func Post(t testing.TB, url, key, body string) Reply {
	t.Helper()
	r, err := SendJSON(http.MethodPost, url, key, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sent is a response's headers as a replay must repeat them: all but Date,
// which is the time of sending, and the replay marker.
func sent(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Date")
	h.Del(idempotency.HeaderIdempotencyReplayed)
	return h
}

// CheckReplay asserts that again repeats first: the same status, body and
// headers (but Date), marked Idempotency-Replayed: true, while first is not
// marked.
func CheckReplay(t testing.TB, first, again Reply) {
	t.Helper()
	if again.Status != first.Status || again.Body != first.Body {
		t.Errorf("replay = %d %q, want %d %q", again.Status, again.Body, first.Status, first.Body)
	}
	if got, want := sent(again.Header), sent(first.Header); !reflect.DeepEqual(got, want) {
		t.Errorf("replay headers = %v, want %v", got, want)
	}
	if got := again.Header.Get(idempotency.HeaderIdempotencyReplayed); got != "true" {
		t.Errorf("replay %s = %q, want true", idempotency.HeaderIdempotencyReplayed, got)
	}
	if first.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
		t.Error("first response is marked as a replay")
	}
}

// CheckProblem asserts a problem+json answer with this status and code,
// and ends the test if it is not one: what follows a wrong answer is
// noise.
func CheckProblem(t testing.TB, r Reply, status int, code string) {
	t.Helper()
	var p struct{ Code string }
	err := json.Unmarshal([]byte(r.Body), &p)
	if ct := r.Header.Get("Content-Type"); err != nil || r.Status != status || p.Code != code || ct != "application/problem+json" {
		t.Fatalf("got %d %s %q (%v), want %d application/problem+json with code %s", r.Status, ct, r.Body, err, status, code)
	}
}
