package idempotency

import (
	"bufio"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// ResponseRecorder captures the response for caching
//
// It passes everything through to the wrapped writer while it keeps the
// status, a snapshot of the headers as they were sent, and the body up to a
// cap. A handler that flushes, or writes more than the cap, is recorded as
// status and headers only (see [Record.BodyOmitted]). It supports
// [http.Flusher] and Unwrap, so [http.ResponseController] reaches the
// underlying writer.
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
func (r *ResponseRecorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	if !r.omitted {
		if int64(len(r.body))+int64(len(b)) > r.maxBody {
			r.omitted = true
			r.body = r.body[:0]
		} else {
			r.body = append(r.body, b...)
		}
	}
	return r.ResponseWriter.Write(b)
}

// Flush sends buffered data to the client. The body is then streamed, so
// only status and headers are recorded: a replay cannot honestly repeat a
// stream's timing.
func (r *ResponseRecorder) Flush() {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.omitted = true
	r.body = r.body[:0]
	http.NewResponseController(r.ResponseWriter).Flush()
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
		Headers:    flattenHeader(r.header),
		CreatedAt:  now,
		ExpiresAt:  now.Add(DefaultTTL),
	}
	if !r.omitted {
		cr.Body = append([]byte(nil), r.body...)
	}
	return cr
}

// storableHeader clones h without what must never be replayed: hop-by-hop
// headers (and those named by Connection), Date, trailers, the middleware's
// own replay markers, and Set-Cookie unless cookies is set. Like
// http.Header.Clone it shares one backing array among all values.
func storableHeader(h http.Header, cookies bool) http.Header {
	n, nv := 0, 0
	for k, vs := range h {
		if !skipHeader(k, cookies) {
			n++
			nv += len(vs)
		}
	}
	out := make(http.Header, n)
	all := make([]string, 0, nv)
	conn := h["Connection"]
	for k, vs := range h {
		if skipHeader(k, cookies) || (len(conn) > 0 && namedByConnection(conn, k)) {
			continue
		}
		all = append(all, vs...)
		out[k] = all[len(all)-len(vs) : len(all) : len(all)]
	}
	return out
}

// headerCache keeps the header snapshot last stored by one middleware.
// An operation usually answers with the same headers every time, so its
// records share one map, never modified once cached, instead of a clone
// each: fewer allocations and less memory per stored response.
type headerCache struct {
	last atomic.Pointer[http.Header]
}

// snapshot returns the storable part of h: the cached map when it matches,
// else a fresh clone, which becomes the cached one. Either way the result
// must be treated as immutable. A nil cache always clones.
func (c *headerCache) snapshot(h http.Header, cookies bool) http.Header {
	if c == nil {
		return storableHeader(h, cookies)
	}
	if last := c.last.Load(); last != nil && sameStorable(h, *last, cookies) {
		return *last
	}
	snap := storableHeader(h, cookies)
	if len(h["Connection"]) == 0 {
		c.last.Store(&snap)
	}
	return snap
}

// sameStorable reports whether storableHeader(h, cookies) would equal last.
func sameStorable(h, last http.Header, cookies bool) bool {
	if len(h["Connection"]) > 0 {
		return false
	}
	n := 0
	for k, vs := range h {
		if skipHeader(k, cookies) {
			continue
		}
		lv, ok := last[k]
		if !ok || !slices.Equal(lv, vs) {
			return false
		}
		n++
	}
	return n == len(last)
}

// skipHeader reports headers that are never stored or replayed.
func skipHeader(k string, cookies bool) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Date", HeaderIdempotencyReplayed, headerReplay:
		return true
	case "Set-Cookie":
		return !cookies
	}
	return strings.HasPrefix(k, http.TrailerPrefix)
}

// namedByConnection reports whether the Connection header lists k as a
// hop-by-hop header of its own.
func namedByConnection(conn []string, k string) bool {
	for _, v := range conn {
		for _, f := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == k {
				return true
			}
		}
	}
	return false
}

// flattenHeader makes the single-valued map of [CachedResponse].
func flattenHeader(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		if len(vs) == 0 {
			continue
		}
		if k == "Set-Cookie" {
			out[k] = vs[0]
			continue
		}
		out[k] = strings.Join(vs, ", ")
	}
	return out
}

// headerReplay marks a replay whose body was not stored.
const headerReplay = "Idempotency-Replay"
