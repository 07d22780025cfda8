package idemfiber

import (
	"net/http"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/fasthttpx"
)

// Serve runs next, the operation's handler, under m for the request of c.
// The core decides (claim, replay, reject, run, store); Serve maps c's
// fasthttp request onto an *http.Request for it and answers through c's
// fasthttp response.
//
// When the core runs next under a claimed key, c.UserContext() carries the
// key's [idempotency.Info] while next runs (restored afterwards), an error
// next returns is answered by the app's ErrorHandler before the response is
// recorded, and Serve returns nil. When the core runs next unguarded (no
// key, a method m does not guard, an outer layer already holding the key),
// next's error is returned for fiber to handle as usual. A nil next means
// c.Next.
func Serve(m *idempotency.Middleware, c *fiber.Ctx, next fiber.Handler) error {
	if next == nil {
		next = (*fiber.Ctx).Next
	}
	x := exchangePool.Get().(*exchange)
	x.c, x.next = c, next
	r := x.Request(c.UserContext(), c.Request(), c.Method(), c.Context().RemoteAddr())
	m.Serve(x.Writer(c.Response()), r, x)
	err := x.err
	// A panic skips this: the exchange stays out of the pool, as the
	// core's request state does, since the dying handler may hold it.
	x.release()
	return err
}

// Middleware returns a fiber middleware that guards the rest of the chain
// (c.Next()) with m; m's methods decide which requests (POST and PATCH by
// default). It is Serve with c.Next as the handler, for hand-written routes.
func Middleware(m *idempotency.Middleware) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return Serve(m, c, (*fiber.Ctx).Next)
	}
}

// exchange is one request's passage through Serve: the request view the
// core reads and the writer it answers through (the fasthttp half), and
// the handler to run on c. It is pooled, so the hot paths reuse its maps
// and buffers.
type exchange struct {
	fasthttpx.Exchange
	c    *fiber.Ctx
	next fiber.Handler
	err  error // next's error when it ran unrecorded, for fiber to handle
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

func (x *exchange) release() {
	x.c, x.next, x.err = nil, nil, nil
	x.Reset()
	exchangePool.Put(x)
}

// ServeHTTP is the core's next: it runs the fiber handler on c.
func (x *exchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := x.c
	prev := c.UserContext()
	c.SetUserContext(r.Context()) // idempotency.FromContext(c.UserContext())
	defer c.SetUserContext(prev)

	err := x.next(c)
	if !x.Recording(w) {
		// The core is not recording: what the handler left in c.Response()
		// is the answer already, and fiber handles its error as it would
		// without Serve.
		x.err = err
		return
	}
	if err != nil {
		// Fiber's error answer is written after a handler returns, which
		// would be after the core has stored the response: write it here,
		// as fiber's own router would (a failing ErrorHandler means 500).
		if c.App().ErrorHandler(c, err) != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	x.Record(w, c.Response(), c.App().Config().DisableDefaultContentType)
}
