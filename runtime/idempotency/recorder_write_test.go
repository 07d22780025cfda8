package idempotency

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// brokenWriter is a ResponseWriter whose connection takes accept bytes and
// then breaks: the write that crosses the limit is cut short, with err
// (nil for a short write without an error), and later writes fail.
type brokenWriter struct {
	*httptest.ResponseRecorder
	accept   int
	err      error
	flushErr error
}

var errConnBroken = errors.New("write: connection reset by peer")

func (w *brokenWriter) Write(b []byte) (int, error) {
	if w.accept <= 0 {
		return 0, errConnBroken
	}
	n := min(len(b), w.accept)
	w.accept -= n
	w.ResponseRecorder.Write(b[:n])
	if n < len(b) {
		return n, w.err
	}
	return n, nil
}

func (w *brokenWriter) FlushError() error {
	if w.flushErr != nil {
		return w.flushErr
	}
	w.ResponseRecorder.Flush()
	return nil
}

// writeChunks writes total bytes in chunks of size, stopping at the first
// error as io.Copy does.
func writeChunks(w io.Writer, total, size int) error {
	chunk := bytes.Repeat([]byte("x"), size)
	for sent := 0; sent < total; sent += size {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	return nil
}

func TestRecorderOmitsBodyAfterBrokenWrite(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"write error", errConnBroken},
		{"short write without error", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The case: 600 KB in 32 KB chunks, the connection
			// broken at 100 KB.
			under := &brokenWriter{ResponseRecorder: httptest.NewRecorder(), accept: 100 << 10, err: tc.err}
			rec := NewResponseRecorder(under)
			rec.Header().Set("Content-Type", "application/octet-stream")
			rec.WriteHeader(http.StatusCreated)
			err := writeChunks(rec, 600<<10, 32<<10)
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("the handler saw %v, want the writer's error passed through", err)
			}
			if under.Body.Len() != 100<<10 {
				t.Fatalf("the wrapped writer got %d bytes, want 100 KiB", under.Body.Len())
			}
			cr := rec.ToCachedResponse()
			if cr.StatusCode != http.StatusCreated || cr.Body != nil {
				t.Fatalf("recorded %d with %d body bytes; want 201 with the body omitted", cr.StatusCode, len(cr.Body))
			}
			if !rec.omitted {
				t.Fatal("the record is not marked as omitting its body")
			}
		})
	}
}

func TestRecorderBodyNotAllowedIsComplete(t *testing.T) {
	// net/http refuses a body on a 204 with ErrBodyNotAllowed: the client
	// still got the whole response, so nothing is marked omitted.
	under := &bodyRefuser{httptest.NewRecorder()}
	rec := NewResponseRecorder(under)
	rec.WriteHeader(http.StatusNoContent)
	if _, err := io.WriteString(rec, "ignored"); err != http.ErrBodyNotAllowed {
		t.Fatalf("Write: %v, want ErrBodyNotAllowed passed through", err)
	}
	rec.finish()
	if rec.omitted || len(rec.body) != 0 {
		t.Fatalf("204: omitted=%v body=%q, want a complete empty record", rec.omitted, rec.body)
	}
}

type bodyRefuser struct{ *httptest.ResponseRecorder }

func (bodyRefuser) Write([]byte) (int, error) { return 0, http.ErrBodyNotAllowed }

func TestRecorderOmitsBodyShortOfContentLength(t *testing.T) {
	rec := NewResponseRecorder(httptest.NewRecorder())
	rec.Header().Set("Content-Length", "10")
	rec.WriteHeader(http.StatusCreated)
	io.WriteString(rec, "12345")
	cr := rec.ToCachedResponse()
	if cr.Body != nil || !rec.omitted {
		t.Fatalf("5 of 10 declared bytes recorded as a complete body %q", cr.Body)
	}
	if _, ok := cr.Headers["Content-Length"]; ok {
		t.Fatal("the omitted body's Content-Length was kept")
	}

	full := NewResponseRecorder(httptest.NewRecorder())
	full.Header().Set("Content-Length", "5")
	io.WriteString(full, "12345")
	if cr := full.ToCachedResponse(); string(cr.Body) != "12345" {
		t.Fatalf("a body matching its Content-Length: recorded %q", cr.Body)
	}
}

func TestRecorderFlushErrorReachesHandler(t *testing.T) {
	under := &brokenWriter{ResponseRecorder: httptest.NewRecorder(), accept: 1 << 20, flushErr: errConnBroken}
	rec := NewResponseRecorder(under)
	io.WriteString(rec, "part")
	if err := http.NewResponseController(rec).Flush(); !errors.Is(err, errConnBroken) {
		t.Fatalf("Flush through ResponseController: %v, want the writer's error", err)
	}
	if cr := rec.ToCachedResponse(); cr.Body != nil {
		t.Fatalf("body recorded after a failed flush: %q", cr.Body)
	}
}

// TestMiddlewareReplaysBrokenWriteAsOmitted drives the middleware with a
// first request whose connection breaks mid-body: the retry must say the
// body was not stored, and the handler must not run again.
func TestMiddlewareReplaysBrokenWriteAsOmitted(t *testing.T) {
	store := NewMemoryStore(time.Hour)
	defer store.Close()
	runs := 0
	h := NewMiddleware(store).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		w.WriteHeader(http.StatusCreated)
		writeChunks(w, 600<<10, 32<<10)
	}))
	first := &brokenWriter{ResponseRecorder: httptest.NewRecorder(), accept: 100 << 10, err: errConnBroken}
	r := httptest.NewRequest(http.MethodPost, "/pay", nil)
	r.Header.Set(HeaderIdempotencyKey, "k-broken")
	h.ServeHTTP(first, r)

	w := serve(h, http.MethodPost, "/pay", "k-broken", "")
	if w.Code != http.StatusCreated || w.Header().Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("retry: %d replayed=%q", w.Code, w.Header().Get(HeaderIdempotencyReplayed))
	}
	if w.Header().Get(headerReplay) != "omitted" || w.Body.Len() != 0 {
		t.Fatalf("retry replayed %d body bytes, %s=%q; want an empty body marked omitted",
			w.Body.Len(), headerReplay, w.Header().Get(headerReplay))
	}
	if runs != 1 {
		t.Fatalf("handler ran %d times, want 1", runs)
	}
}
