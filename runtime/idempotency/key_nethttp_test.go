package idempotency

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestKeyControlBytesOverTCP pins who refuses which key bytes on a real
// HTTP/1.1 connection. net/http itself answers NUL, ESC, CR and DEL with a
// text/plain 400 before any handler runs (its header parser accepts only
// visible ASCII, space, tab and obs-text), so the middleware never sees
// them; a tab or a non-ASCII byte gets through and is the middleware's
// problem+json 400.
func TestKeyControlBytesOverTCP(t *testing.T) {
	store := NewMemoryStore(time.Hour)
	defer store.Close()
	var seen events
	h := &countingHandler{}
	srv := httptest.NewServer(NewMiddleware(store, WithObserver(seen.observe)).Handler(h))
	defer srv.Close()

	for _, tc := range []struct {
		name  string
		b     byte
		ctype string // of the 400
	}{
		{"NUL", 0x00, "text/plain; charset=utf-8"},
		{"ESC", 0x1b, "text/plain; charset=utf-8"},
		{"CR", '\r', "text/plain; charset=utf-8"},
		{"DEL", 0x7f, "text/plain; charset=utf-8"},
		{"HTAB", '\t', "application/problem+json"},
		{"obs-text", 0xe9, "application/problem+json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(seen.outcomes())
			res := rawKeyedPost(t, srv.Listener.Addr().String(), "ab"+string(tc.b)+"cd")
			if res.StatusCode != http.StatusBadRequest || res.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("key with %s: %d %q, want 400 %q", tc.name, res.StatusCode, res.Header.Get("Content-Type"), tc.ctype)
			}
			got := seen.outcomes()[before:]
			byNetHTTP := tc.ctype != "application/problem+json"
			if byNetHTTP && len(got) != 0 {
				t.Fatalf("net/http should refuse %s itself, but the middleware saw %v", tc.name, got)
			}
			if !byNetHTTP && (len(got) != 1 || got[0] != OutcomeKeyInvalid) {
				t.Fatalf("key with %s: middleware outcomes %v, want key invalid", tc.name, got)
			}
		})
	}
	if n := h.runs.Load(); n != 0 {
		t.Fatalf("the handler ran %d times", n)
	}
}

// rawKeyedPost sends a POST whose Idempotency-Key is key, byte for byte,
// and reads the answer.
func rawKeyedPost(t *testing.T, addr, key string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /pay HTTP/1.1\r\nHost: test\r\n%s: %s\r\nContent-Length: 0\r\n\r\n", HeaderIdempotencyKey, key)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}
