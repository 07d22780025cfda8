package idempotency

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// endlessReader yields n bytes without holding them in memory.
type endlessReader struct{ left int64 }

func (r *endlessReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(p))
	if n > r.left {
		n = r.left
	}
	for i := range p[:n] {
		p[i] = 'x'
	}
	r.left -= n
	return int(n), nil
}

func TestHugeBodyIs413(t *testing.T) {
	const size = 100 << 20
	for _, declared := range []bool{true, false} {
		name := "chunked"
		if declared {
			name = "content-length"
		}
		t.Run(name, func(t *testing.T) {
			h := &countingHandler{}
			var ev events
			srv := httptest.NewServer(NewMiddleware(NewMemoryStore(time.Minute),
				WithMaxRequestBody(1<<20), WithObserver(ev.observe)).Handler(h))
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/upload", &endlessReader{left: size})
			if declared {
				req.ContentLength = size
			}
			req.Header.Set(HeaderIdempotencyKey, "big")
			resp, err := srv.Client().Do(req)
			if err != nil {
				// The server may close the connection while the client is
				// still sending; the handler must not have run either way.
				t.Logf("client error (acceptable): %v", err)
			} else {
				defer resp.Body.Close()
				if resp.StatusCode != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413", resp.StatusCode)
				}
			}
			if h.runs.Load() != 0 || !ev.has(OutcomeBodyTooLarge) {
				t.Fatalf("runs %d, events %v", h.runs.Load(), ev.outcomes())
			}
			// Nothing stored: a small retry with the same key runs.
			req2, _ := http.NewRequest(http.MethodPost, srv.URL+"/upload", strings.NewReader("{}"))
			req2.Header.Set(HeaderIdempotencyKey, "big")
			resp2, err := srv.Client().Do(req2)
			if err != nil {
				t.Fatal(err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusCreated || h.runs.Load() != 1 {
				t.Fatalf("retry: %d, runs %d", resp2.StatusCode, h.runs.Load())
			}
		})
	}
}

func TestBodyAtTheCapIsAccepted(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithMaxRequestBody(10)).Handler(h)
	if w := serve(mw, http.MethodPost, "/p", "k", "0123456789"); w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), "0123456789") {
		t.Fatalf("10-byte body at a 10-byte cap: %d %q", w.Code, w.Body)
	}
	r := httptest.NewRequest(http.MethodPost, "/p", io.MultiReader(strings.NewReader("01234"), strings.NewReader("567890")))
	r.ContentLength = -1
	r.Header.Set(HeaderIdempotencyKey, "k2")
	w := httptest.NewRecorder()
	mw.ServeHTTP(w, r)
	wantProblem(t, w, http.StatusRequestEntityTooLarge, CodeBodyTooLarge)
}

func TestUnreadableBodyIs400(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
	r := httptest.NewRequest(http.MethodPost, "/p", io.MultiReader(strings.NewReader("{"), errReader{}))
	r.Header.Set(HeaderIdempotencyKey, "k")
	w := httptest.NewRecorder()
	mw.ServeHTTP(w, r)
	wantProblem(t, w, http.StatusBadRequest, CodeBodyUnreadable)
	if h.runs.Load() != 0 {
		t.Fatal("handler ran on a broken body")
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestClientDisconnectMidRequest(t *testing.T) {
	var runs atomic.Int64
	handlerDone := make(chan struct{}, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		<-r.Context().Done() // the client is gone
		time.Sleep(10 * time.Millisecond)
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"ok":true}`)
		handlerDone <- struct{}{}
	})
	srv := httptest.NewServer(NewMiddleware(NewMemoryStore(time.Minute)).Handler(h))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/p", strings.NewReader("{}"))
	req.Header.Set(HeaderIdempotencyKey, "k")
	go func() { time.Sleep(50 * time.Millisecond); cancel() }()
	if _, err := srv.Client().Do(req); err == nil {
		t.Fatal("request should have been canceled")
	}
	select {
	case <-handlerDone:
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not finish")
	}
	// Completion ran under WithoutCancel: the retry replays, nothing is stuck.
	var resp *http.Response
	for range 100 {
		req2, _ := http.NewRequest(http.MethodPost, srv.URL+"/p", strings.NewReader("{}"))
		req2.Header.Set(HeaderIdempotencyKey, "k")
		var err error
		if resp, err = srv.Client().Do(req2); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusConflict {
			break // 409 only while the completion races the retry
		}
		time.Sleep(5 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusCreated || resp.Header.Get(HeaderIdempotencyReplayed) != "true" || runs.Load() != 1 {
		t.Fatalf("retry: %d replayed=%q runs %d", resp.StatusCode, resp.Header.Get(HeaderIdempotencyReplayed), runs.Load())
	}
}

// TestTransportResendsKeyedRequest drops the connection after the server
// handled a request, before it answered. Go's http.Transport then resends a
// request that carries Idempotency-Key on a fresh connection by itself: the
// server sees the key twice and must replay, not run twice.
func TestTransportResendsKeyedRequest(t *testing.T) {
	h := &countingHandler{}
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
	var dropped atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Drop") == "" || dropped.Load() {
			mw.ServeHTTP(w, r)
			return
		}
		// Handle the request for real, then break the connection unanswered.
		mw.ServeHTTP(httptest.NewRecorder(), r)
		dropped.Store(true)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	client := srv.Client()

	// Warm a keep-alive connection: the Transport retries only on a reused one.
	warm, err := client.Post(srv.URL+"/warm", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, warm.Body)
	warm.Body.Close()

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/p", bytes.NewReader([]byte(`{"amount":5}`)))
	req.Header.Set(HeaderIdempotencyKey, "1732665600123456789_a-B_9z")
	req.Header.Set("X-Drop", "1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("the Transport did not resend: %v", err)
	}
	defer resp.Body.Close()
	if !dropped.Load() {
		t.Fatal("the first attempt was not dropped")
	}
	if resp.StatusCode != http.StatusCreated || resp.Header.Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("resend: %d replayed=%q", resp.StatusCode, resp.Header.Get(HeaderIdempotencyReplayed))
	}
	if got := h.runs.Load(); got != 2 { // /warm once, /p once
		t.Fatalf("handler ran %d times, want 2", got)
	}
}

func TestBinaryKeyOverTheWire(t *testing.T) {
	h := &countingHandler{}
	srv := httptest.NewServer(NewMiddleware(NewMemoryStore(time.Minute)).Handler(h))
	defer srv.Close()
	for _, key := range []string{"k\xff\xfe\x80", strings.Repeat("K", 10<<10)} {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(conn, "POST /p HTTP/1.1\r\nHost: x\r\nIdempotency-Key: "+key+"\r\nContent-Length: 2\r\n\r\n{}")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("key of %d bytes: status %d, want 400", len(key), resp.StatusCode)
		}
	}
	if h.runs.Load() != 0 {
		t.Fatal("handler ran for a bad key")
	}
}
