package idempotency

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestStalledBodiesHoldWhatArrived is issue 8's third defect: clients that
// declare a 1 MiB body and send one byte must not make the middleware hold
// a megabyte each. 500 of them stay under 64 MiB of heap.
func TestStalledBodiesHoldWhatArrived(t *testing.T) {
	const conns = 500
	const budget = 64 << 20

	store := NewMemoryStore(time.Hour)
	defer store.Close()
	var ran, reading atomic.Int64
	allReading := make(chan struct{})
	guarded := NewMiddleware(store).Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		ran.Add(1) // never: no body arrives whole
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The middleware's first Read comes after it sized its buffer.
		r.Body = &firstRead{ReadCloser: r.Body, once: func() {
			if reading.Add(1) == conns {
				close(allReading)
			}
		}}
		guarded.ServeHTTP(w, r)
	}))
	goroutines := runtime.NumGoroutine()
	before := heapInUse()

	clients := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatalf("connection %d: %v (is ulimit -n under %d?)", i, err, 2*conns+100)
		}
		clients = append(clients, c)
		fmt.Fprintf(c, "POST /pay HTTP/1.1\r\nHost: test\r\n%s: stalled-%d\r\nContent-Length: %d\r\n\r\nx",
			HeaderIdempotencyKey, i, DefaultMaxRequestBody)
	}
	select {
	case <-allReading:
	case <-time.After(10 * time.Second):
		t.Fatalf("only %d of %d requests reached the middleware's body read", reading.Load(), conns)
	}
	grown := heapInUse() - before
	t.Logf("%d stalled bodies: heap grew %d KiB (%d bytes a connection)", conns, grown>>10, grown/conns)
	if grown > budget {
		t.Errorf("%d stalled 1-byte bodies grew the heap by %d MiB, want under %d MiB", conns, grown>>20, budget>>20)
	}

	for _, c := range clients {
		c.Close()
	}
	clients = nil
	srv.Close() // waits for the 500 requests to end
	if n := ran.Load(); n != 0 {
		t.Errorf("the handler ran %d times on bodies that never arrived", n)
	}
	waitGoroutines(t, goroutines)
}

// firstRead calls once before its body's first Read.
type firstRead struct {
	io.ReadCloser
	once func()
	done bool
}

func (f *firstRead) Read(p []byte) (int, error) {
	if !f.done {
		f.done = true
		f.once()
	}
	return f.ReadCloser.Read(p)
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// waitGoroutines waits for the goroutine count to fall back to n: the
// server's connection goroutines end shortly after srv.Close returns.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left, %d before the test", runtime.NumGoroutine(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReadBodySizes(t *testing.T) {
	const limit = 256 << 10
	for _, n := range []int{1, 511, 512, 513, 4095, 4096, 4097, 100_000, limit} {
		body := strings.Repeat("b", n)
		for _, declared := range []bool{true, false} {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
			if !declared {
				r.ContentLength = -1 // chunked
			}
			st := &reqState{}
			if err := st.readBody(r, limit); err != nil || string(st.body) != body {
				t.Fatalf("%d bytes, declared %v: %v, read %d bytes", n, declared, err, len(st.body))
			}
			if declared && cap(st.body) > max(firstBodyBuf, n+1) {
				t.Errorf("%d declared bytes: buffer of %d, want at most max(%d, n+1)", n, cap(st.body), firstBodyBuf)
			}
		}
	}

	// Over the limit: a declared length is refused unread, an undeclared
	// one after limit+1 bytes.
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("b", limit+1)))
	if err := (&reqState{}).readBody(r, limit); err != errBodyTooLarge {
		t.Fatalf("declared over the limit: %v", err)
	}
	r.ContentLength = -1
	if err := (&reqState{}).readBody(r, limit); err != errBodyTooLarge {
		t.Fatalf("undeclared over the limit: %v", err)
	}

	// A body longer than its declared length (only an in-process caller
	// can send one) is read whole, not looped on.
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("b", 20)))
	r.ContentLength = 10
	if st := (&reqState{}); st.readBody(r, limit) != nil || len(st.body) != 20 {
		t.Fatalf("a body past its declared length: read %d bytes", len(st.body))
	}
}

// TestReadBodyGrowsWithArrival: 10 KB of a declared megabyte, then the
// client stalls (here: fails). The buffer follows the 10 KB.
func TestReadBodyGrowsWithArrival(t *testing.T) {
	arrived := bytes.Repeat([]byte("a"), 10<<10)
	r := httptest.NewRequest(http.MethodPost, "/", io.MultiReader(bytes.NewReader(arrived), errReader{}))
	r.ContentLength = 1 << 20
	st := &reqState{}
	if err := st.readBody(r, 1<<20); err != errBodyRead {
		t.Fatalf("readBody: %v, want errBodyRead", err)
	}
	if len(st.body) != len(arrived) || cap(st.body) > 2*len(arrived) {
		t.Fatalf("%d bytes arrived: buffer len %d cap %d, want cap at most twice what arrived", len(arrived), len(st.body), cap(st.body))
	}
}
