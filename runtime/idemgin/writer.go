package idemgin

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
)

// noWritten is Size before the status has gone out, as in gin.
const noWritten = -1

var errHijackWritten = errors.New("idemgin: response body already written")

// lazyWriter is the gin.ResponseWriter a recorded handler writes to. It
// keeps gin's late status: WriteHeader only notes the code, and the
// status goes to w, the middleware's recorder, with the first byte of
// body (or WriteHeaderNow, Flush). gin depends on that: c.JSON and the
// other renders set the status before Content-Type, and the recorder
// takes its snapshot of the headers when the status reaches it.
//
// A type of its own because gin cannot build its writer over another
// http.ResponseWriter from outside the package; and the recorder writes
// to c.Writer, so c.Writer itself cannot be pointed at the recorder.
type lazyWriter struct {
	w      http.ResponseWriter
	size   int // bytes of body written; noWritten until the status is out
	status int
}

var _ gin.ResponseWriter = (*lazyWriter)(nil)

// Header returns the response's header map, shared with c.Writer.
func (lw *lazyWriter) Header() http.Header { return lw.w.Header() }

// WriteHeader notes the status to send. As in gin, a code of 0 or less
// (c.JSON(-1, ...)) keeps the current one, and a code given after the
// status went out is ignored.
func (lw *lazyWriter) WriteHeader(code int) {
	if code > 0 && !lw.Written() {
		lw.status = code
	}
}

// WriteHeaderNow sends the noted status, once.
func (lw *lazyWriter) WriteHeaderNow() {
	if !lw.Written() {
		lw.size = 0
		lw.w.WriteHeader(lw.status)
	}
}

// Write sends the status if still pending, then b.
func (lw *lazyWriter) Write(b []byte) (int, error) {
	lw.WriteHeaderNow()
	n, err := lw.w.Write(b)
	lw.size += n
	return n, err
}

// WriteString is Write for a string.
func (lw *lazyWriter) WriteString(s string) (int, error) {
	lw.WriteHeaderNow()
	n, err := io.WriteString(lw.w, s)
	lw.size += n
	return n, err
}

// Status is the status sent, or the one that will be.
func (lw *lazyWriter) Status() int { return lw.status }

// Size is the number of body bytes written, -1 before the status is out.
func (lw *lazyWriter) Size() int { return lw.size }

// Written reports whether the status has gone out.
func (lw *lazyWriter) Written() bool { return lw.size != noWritten }

// Flush sends the status and what is buffered. The recorder then keeps
// status and headers only: a stream's replay cannot repeat its timing.
func (lw *lazyWriter) Flush() {
	lw.WriteHeaderNow()
	if f, ok := lw.w.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack hands over the connection, as gin allows it: before any body
// byte. The recorder then records nothing and the key is released.
func (lw *lazyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if lw.size > 0 {
		return nil, nil, errHijackWritten
	}
	// Marked as written, so that the pending status is never sent on a
	// connection that is no longer the server's.
	lw.size = max(lw.size, 0)
	return http.NewResponseController(lw.w).Hijack()
}

// CloseNotify is the connection's close notification, found below the
// recorder, which does not offer one. It is nil (never fires) when no
// writer underneath has one.
func (lw *lazyWriter) CloseNotify() <-chan bool {
	if cn, ok := below[http.CloseNotifier](lw.w); ok {
		return cn.CloseNotify()
	}
	return nil
}

// Pusher is the HTTP/2 server push of the connection, nil without one. A
// pushed resource is not part of the response and is not recorded.
func (lw *lazyWriter) Pusher() http.Pusher {
	p, _ := below[http.Pusher](lw.w)
	return p
}

// Unwrap returns the recorder, for http.ResponseController.
func (lw *lazyWriter) Unwrap() http.ResponseWriter { return lw.w }

// below finds the first writer from w down its Unwrap chain that is a T.
func below[T any](w http.ResponseWriter) (T, bool) {
	for {
		if t, ok := w.(T); ok {
			return t, true
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			var zero T
			return zero, false
		}
		w = u.Unwrap()
	}
}
