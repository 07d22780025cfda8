package idemfiber3

import (
	"net/http"
	"net/url"
	"sync"

	"github.com/gofiber/fiber/v3"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Serve runs next, the operation's handler, under m for the request of c.
// The core decides (claim, replay, reject, run, store); Serve maps c's
// fasthttp request onto an *http.Request for it and answers through c's
// fasthttp response.
//
// When the core runs next under a claimed key, c.Context() carries the
// key's [idempotency.Info] while next runs (restored afterwards), an error
// next returns is answered by the app's ErrorHandler before the response is
// recorded, and Serve returns nil. When the core runs next unguarded (no
// key, a method m does not guard, an outer layer already holding the key),
// next's error is returned for fiber to handle as usual. A nil next means
// c.Next.
func Serve(m *idempotency.Middleware, c fiber.Ctx, next fiber.Handler) error {
	if next == nil {
		next = fiber.Ctx.Next
	}
	x := exchangePool.Get().(*exchange)
	x.c, x.next = c, next
	x.w.resp = c.Response()
	m.Serve(&x.w, x.request(c), x)
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
	return func(c fiber.Ctx) error {
		return Serve(m, c, fiber.Ctx.Next)
	}
}

// exchange is one request's passage through Serve: the request view the
// core reads, the writer it answers through, and the handler to run. It
// is pooled, so the hot paths reuse its maps and buffers.
type exchange struct {
	c    fiber.Ctx
	next fiber.Handler
	err  error // next's error when it ran unrecorded, for fiber to handle
	w    writer
	u    url.URL
	body bodyReader
	hdr  http.Header // request headers
	vals []string    // their values' backing array
	buf  []byte      // scratch: the bytes of a string being built
	ends []int       // scratch: where each header key and value ends in buf
}

var exchangePool = sync.Pool{New: func() any { return new(exchange) }}

// maxPooledBuf keeps one large request from pinning its buffer in the pool.
const maxPooledBuf = 64 << 10

func (x *exchange) release() {
	x.c, x.next, x.err = nil, nil, nil
	x.w.reset()
	x.body.Reset(nil)
	clear(x.hdr)
	clear(x.vals) // drop the request's strings
	x.vals = x.vals[:0]
	if cap(x.buf) > maxPooledBuf {
		x.buf = nil
	}
	exchangePool.Put(x)
}

// ServeHTTP is the core's next: it runs the fiber handler on c.
func (x *exchange) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := x.c
	prev := c.Context()
	c.SetContext(r.Context()) // idempotency.FromContext(c.Context())
	defer c.SetContext(prev)

	err := x.next(c)
	if w == http.ResponseWriter(&x.w) {
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
	x.record(w)
}
