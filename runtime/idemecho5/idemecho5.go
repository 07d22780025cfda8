package idemecho5

import (
	"net/http"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/labstack/echo/v5"
)

// Serve runs next, the handler of one operation, under m for the request
// of c. The generated wrappers of idemgen's echo v5 target call it.
//
// While next runs, c.Request() is the request the middleware hands the
// handler (its context carries the key's [idempotency.Info], its body can
// be read again) and c.Response() is an [echo.Response] of its own that
// writes through the middleware's recorder. When next returns an error
// under a claimed key, Serve answers it with the Echo's HTTPErrorHandler
// inside the recorded section, so the error handler's response is what is
// stored and replayed, and Serve returns nil. When the middleware does not
// record the request (a method m does not guard, no key, a key an outer
// idempotency layer already holds, a failing store with
// [idempotency.WithFailOpen]), next's error is returned unchanged and echo
// answers it as usual.
//
// When Serve returns, c's request and response are those it was called
// with, and the [echo.Response] that response unwraps to has Status, Size
// and Committed describing what was sent, a replay or a problem included.
func Serve(m *idempotency.Middleware, c *echo.Context, next echo.HandlerFunc) error {
	res, req := c.Response(), c.Request()
	var passErr error
	// The core writes replays and problems to res itself, so echo's
	// bookkeeping and the Before and After hooks outer middlewares
	// registered on it see them as they see any answer.
	m.Serve(res, req, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.SetRequest(r)
		defer c.SetRequest(req) // deferred: a panic restores it too
		if _, recording := w.(*idempotency.ResponseRecorder); !recording {
			// The core passed the request through unrecorded (w is
			// res itself): the handler writes to res as it would
			// without the middleware, and since nothing records the
			// answer, its error goes back to echo's own error path.
			// (A type check, not w == res: comparing interfaces panics
			// on a writer type that is not comparable.)
			passErr = next(c)
			return
		}
		// w records and forwards to res. The handler gets a Response of
		// its own over w rather than w itself: echo.UnwrapResponse then
		// stops at it, so Committed as the error handler checks it, and
		// Before hooks the handler registers, belong to this answer
		// (their headers are set before w snapshots them, and so are
		// recorded), not to res.
		c.SetResponse(echo.NewResponse(w, c.Logger()))
		defer c.SetResponse(res)
		if err := next(c); err != nil {
			// echo answers a returned error only after the chain has
			// unwound, when the recorder is gone: answer it here, so
			// the answer is recorded, and a 5xx releases the key.
			c.Echo().HTTPErrorHandler(c, err)
		}
	}))
	// A recorded error has been answered; returning it would have echo
	// answer it a second time, through an error handler that need not
	// check Committed (the default one does, a custom one may not).
	return passErr
}

// Middleware returns echo middleware that runs the rest of the chain
// under m, as [Serve] runs one handler. It suits hand-written routes and
// groups (e.POST(path, h, idemecho5.Middleware(m)), e.Group("/v1",
// idemecho5.Middleware(m))); m's methods decide which requests are guarded
// (POST and PATCH by default), and the others pass through.
func Middleware(m *idempotency.Middleware) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			return Serve(m, c, next)
		}
	}
}
