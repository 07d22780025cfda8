package idempotency

import (
	"bufio"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/idemgen/idemgen/internal/seedheader"
)

// ResponseRecorder captures the response for caching
//
// It passes everything through to the wrapped writer while it keeps the
// status, a snapshot of the headers as they were sent, and the body up to a
// cap. A handler that flushes, or writes more than the cap, is recorded as
// status and headers only (see [Record.BodyOmitted]).
//
// So is a response the client did not get whole: a write the wrapped
// writer failed or cut short (a client that hung up mid-body), or a body
// shorter than its declared Content-Length. Only bytes the wrapped
// writer accepted are ever recorded, so a replay never passes a truncated
// body off as complete. The record is kept rather than dropped because the
// operation did happen: releasing the key would let a retry run it twice.
// Bytes the connection accepted may still be lost after the handler
// returns (net/http sends its last buffer then); those responses are stored
// whole, which is what the client should have received.
//
// It supports [http.Flusher] and Unwrap, so [http.ResponseController]
// reaches the underlying writer, and FlushError, so a handler that flushes
// through a ResponseController sees the flush's error.
type ResponseRecorder struct {
	http.ResponseWriter

	status      int
	wroteHeader bool
	header      http.Header // snapshot taken when the status was sent
	body        []byte
	maxBody     int64
	omitted     bool
	cookies     bool
	cache       *headerCache // nil: clone every snapshot
	hijacked    bool
}

// NewResponseRecorder creates a new response recorder
//
// It records at most [DefaultMaxResponseBody] bytes of body and, like the
// middleware's default, leaves Set-Cookie out of the recorded headers.
func NewResponseRecorder(w http.ResponseWriter) *ResponseRecorder {
	r := &ResponseRecorder{}
	r.reset(w, DefaultMaxResponseBody, false, nil)
	return r
}

// reset readies a (pooled) recorder for a new response, keeping its body
// buffer.
func (r *ResponseRecorder) reset(w http.ResponseWriter, maxBody int64, cookies bool, cache *headerCache) {
	r.ResponseWriter = w
	r.status = 0
	r.wroteHeader = false
	r.header = nil
	r.body = r.body[:0]
	r.maxBody = maxBody
	r.omitted = false
	r.cookies = cookies
	r.cache = cache
	r.hijacked = false
}

// Header returns the header map
//
// It is the wrapped writer's map: the handler's headers go straight out.
func (r *ResponseRecorder) Header() http.Header {
	return r.ResponseWriter.Header()
}

// WriteHeader captures the status code
func (r *ResponseRecorder) WriteHeader(code int) {
	if r.wroteHeader {
		// net/http ignores (and logs) a second call; so do we.
		r.ResponseWriter.WriteHeader(code)
		return
	}
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational (e.g. 103 Early Hints): not the final response.
		r.ResponseWriter.WriteHeader(code)
		return
	}
	r.wroteHeader = true
	r.status = code
	r.header = r.cache.snapshot(r.ResponseWriter.Header(), r.cookies)
	r.ResponseWriter.WriteHeader(code)
}

// Write captures the response body
//
// It records what the wrapped writer accepted: a failed or short write
// means the client's copy is cut short, so the body is omitted from the
// record (see the type's documentation).
func (r *ResponseRecorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	n, err := r.ResponseWriter.Write(b)
	switch {
	case r.omitted:
	case err == http.ErrBodyNotAllowed && n == 0:
		// A 204 or 304 (or a HEAD) has no body: the client got the
		// whole response, and there is nothing to record.
	case err != nil || n < len(b):
		r.omit()
	case int64(len(r.body))+int64(n) > r.maxBody:
		r.omit()
	default:
		r.body = append(r.body, b[:n]...)
	}
	return n, err
}

// omit drops the recorded body: only status and headers are stored.
func (r *ResponseRecorder) omit() {
	r.omitted = true
	r.body = r.body[:0]
}

// Flush sends buffered data to the client. The body is then streamed, so
// only status and headers are recorded: a replay cannot honestly repeat a
// stream's timing.
func (r *ResponseRecorder) Flush() {
	_ = r.FlushError()
}

// FlushError is Flush returning the wrapped writer's error, for
// [http.ResponseController].
func (r *ResponseRecorder) FlushError() error {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.omit()
	return http.NewResponseController(r.ResponseWriter).Flush()
}

// Hijack takes over the connection through the wrapped writer. What the
// handler then sends is invisible here, so nothing is recorded: the
// middleware releases the key instead of storing a response it never saw.
func (r *ResponseRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(r.ResponseWriter).Hijack()
	if err == nil {
		r.hijacked = true
	}
	return conn, rw, err
}

// Unwrap returns the wrapped writer, for [http.ResponseController].
func (r *ResponseRecorder) Unwrap() http.ResponseWriter {
	return r.ResponseWriter
}

// finish settles a response the handler left implicit: net/http sends 200
// with the current headers when a handler writes nothing.
func (r *ResponseRecorder) finish() {
	if !r.wroteHeader {
		r.wroteHeader = true
		r.status = http.StatusOK
		r.header = r.cache.snapshot(r.ResponseWriter.Header(), r.cookies)
	}
	if !r.omitted && shortOfLength(r.status, r.header, len(r.body)) {
		// net/http closes the connection on a body short of its declared
		// length: the client got a truncated response.
		r.omit()
	}
	if _, ok := r.header["Content-Length"]; ok && r.omitted {
		// The length describes a body the replay will not carry. The
		// snapshot may be shared (see headerCache): copy, never modify.
		h := make(http.Header, len(r.header))
		for k, vs := range r.header {
			if k != "Content-Length" {
				h[k] = vs
			}
		}
		r.header = h
	}
}

// shortOfLength reports a body shorter than the Content-Length it was sent
// with, for a status that carries a body. An unparsable length, which
// net/http drops, counts as none.
func shortOfLength(status int, h http.Header, n int) bool {
	vs := h["Content-Length"]
	if len(vs) != 1 || status == http.StatusNoContent || status == http.StatusNotModified {
		return false
	}
	cl, err := strconv.ParseInt(vs[0], 10, 64)
	return err == nil && cl > int64(n)
}

// ToCachedResponse converts the recorded response to a cached response
//
// Headers are single-valued in CachedResponse: repeated values are joined
// with ", " (Set-Cookie, which cannot be joined, keeps its first value).
// The body is copied. CreatedAt is now and ExpiresAt is now plus
// [DefaultTTL]; the middleware sets its own TTL.
func (r *ResponseRecorder) ToCachedResponse() *CachedResponse {
	r.finish()
	now := time.Now()
	cr := &CachedResponse{
		StatusCode: r.status,
		Headers:    seedheader.Flatten(r.header),
		CreatedAt:  now,
		ExpiresAt:  now.Add(DefaultTTL),
	}
	if !r.omitted {
		cr.Body = append([]byte(nil), r.body...)
	}
	return cr
}
