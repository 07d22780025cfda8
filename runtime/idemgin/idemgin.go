package idemgin

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Serve runs next, the handler of one operation, under m for the request
// of c. The generated wrappers of idemgen's gin target call it.
//
// While next runs under a claimed key, c.Request is the request the
// middleware hands the handler (its context carries the key's
// [idempotency.Info], its body can be read again) and c.Writer writes
// through the middleware's recorder, with gin's late status: the status
// goes out with the first byte of body, or when next returns. When the
// middleware does not record the request (a method m does not guard, no
// key, a key an outer idempotency layer already holds, a failing store
// with [idempotency.WithFailOpen]), next writes to c.Writer as it would
// without Serve.
//
// When Serve returns, c.Writer and c.Request are those it was called
// with, even if next panicked. After a recorded run, a replay or a
// problem, c.Writer's status and headers have been sent (Written is
// true) and its Status and Size describe the answer.
func Serve(m *idempotency.Middleware, c *gin.Context, next gin.HandlerFunc) {
	outer, req := c.Writer, c.Request
	passed := false
	// The core writes replays and problems to outer itself, so gin's
	// bookkeeping (Status, Size, Written) sees them as any answer.
	m.Serve(outer, req, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.Request = r
		defer func() { c.Request = req }() // deferred: a panic restores it too
		if _, recording := w.(*idempotency.ResponseRecorder); !recording {
			// (A type check, not w == outer: comparing interfaces
			// panics on a writer type that is not comparable.)
			// Passed through unrecorded: the handler writes to outer as
			// without the middleware, and gin sends a pending status
			// when the request ends, as usual.
			passed = true
			next(c)
			return
		}
		lw := &lazyWriter{w: w, size: noWritten, status: http.StatusOK}
		c.Writer = lw
		defer func() { c.Writer = outer }()
		next(c)
		// What gin does when the chain ends, done while the recorder is
		// still there, so a status set alone (c.Status(204),
		// AbortWithStatus) and the headers set with it are recorded.
		// Not on a panic: gin's recovery then answers on outer.
		lw.WriteHeaderNow()
	}))
	if !passed {
		// Send outer's status and headers now: the record holds them as
		// they were when the handler's answer began, and a header an
		// outer middleware sets from here on must not reach the client
		// unless it would reach a replay too.
		outer.WriteHeaderNow()
	}
}

// Middleware returns gin middleware that runs the rest of the chain
// (c.Next()) under m, as [Serve] runs one handler. It suits hand-written
// routes and groups (r.POST(path, idemgin.Middleware(m), h),
// r.Group("/v1", idemgin.Middleware(m))); m's methods decide which
// requests are guarded (POST and PATCH by default), and the others pass
// through.
//
// When m answers without running the chain (a replay, a 409, 422 or 400
// problem), Middleware aborts c, so the route's handlers never run for
// that request; middlewares before it see c.IsAborted().
func Middleware(m *idempotency.Middleware) gin.HandlerFunc {
	return func(c *gin.Context) {
		ran := false
		Serve(m, c, func(c *gin.Context) {
			ran = true
			c.Next()
		})
		if !ran {
			// gin runs the next handler once this one returns unless
			// the chain is aborted.
			c.Abort()
		}
	}
}
