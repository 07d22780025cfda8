package idempotency

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTruncatedResponseOverTCP is issue 8's first defect over a real
// connection: a client reads 100 KB of a 600 KB answer and hangs up. The
// operation happened, so the key stays taken, but its retry must not get
// the fragment as if it were the whole answer.
func TestTruncatedResponseOverTCP(t *testing.T) {
	store := NewMemoryStore(time.Hour)
	defer store.Close()
	var runs, written atomic.Int64
	writeErr := make(chan error, 1)
	completed := make(chan Event, 1)
	m := NewMiddleware(store, WithObserver(func(ev Event) {
		if ev.Outcome != OutcomeAcquired && ev.Outcome != OutcomeReplayed {
			completed <- ev // the first request's end, whatever it is
		}
	}))
	srv := httptest.NewUnstartedServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusCreated)
		writeErr <- writeChunks(countingWriter{w, &written}, 600<<10, 32<<10)
	})))
	// Small socket buffers on both ends bound what the kernel absorbs, so
	// the server's writes fail well before 600 KB: the handler stops there,
	// as one using io.Copy would, and has written far less than the cap.
	srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetWriteBuffer(4 << 10)
		}
		return ctx
	}
	srv.Start()
	defer srv.Close()

	readAndHangUp(t, srv.Listener.Addr().String(), 100<<10)
	select {
	case err := <-writeErr:
		if err == nil {
			t.Fatal("all 600 KB were written without an error: the socket buffers absorbed them, so this run cannot show a truncated answer")
		}
		t.Logf("the handler's write failed after %d bytes: %v", written.Load(), err)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler's write never failed after the client hung up")
	}
	select {
	case ev := <-completed:
		if ev.Outcome != OutcomeCompleted || ev.Status != http.StatusCreated {
			t.Fatalf("first request ended %v (status %d, %v), want completed 201", ev.Outcome, ev.Status, ev.Err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first request never completed")
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pay", strings.NewReader("{}"))
	req.Header.Set(HeaderIdempotencyKey, "tcp-truncated")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || res.Header.Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("retry: %d replayed=%q, want the stored 201 replayed", res.StatusCode, res.Header.Get(HeaderIdempotencyReplayed))
	}
	if res.Header.Get(headerReplay) != "omitted" || len(body) != 0 {
		t.Fatalf("retry replayed %d body bytes with %s=%q; want an empty body marked omitted",
			len(body), headerReplay, res.Header.Get(headerReplay))
	}
	if n := runs.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want once", n)
	}
}

// readAndHangUp sends a keyed POST, reads n bytes of the answer and resets
// the connection.
func readAndHangUp(t *testing.T, addr string, n int64) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	tc := conn.(*net.TCPConn)
	tc.SetReadBuffer(32 << 10)
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /pay HTTP/1.1\r\nHost: test\r\n%s: tcp-truncated\r\nContent-Length: 2\r\n\r\n{}", HeaderIdempotencyKey)
	if _, err := io.CopyN(io.Discard, conn, n); err != nil {
		t.Fatalf("reading the first %d bytes: %v", n, err)
	}
	tc.SetLinger(0) // close with a reset: the server's next write fails
	conn.Close()
}

// countingWriter counts the bytes its writer accepted.
type countingWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n.Add(int64(n))
	return n, err
}
