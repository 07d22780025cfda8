package idemiris

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/kataras/iris/v12"
	"github.com/kataras/iris/v12/context"
)

// Serve runs next, the operation's handler, for ctx's request under m. m
// decides whether next runs (and is recorded), or the request is answered
// with a replay or a refusal instead.
//
// While next runs, ctx.Request() is the request m hands it: its context
// carries the key's [idempotency.Info] and its body can be read again.
// Params, Values and the route are ctx's own. A status next only set (as
// with ctx.StatusCode(204)) is sent before m records the response, and
// iris's error handler for a bare error status (ctx.StopWithStatus(409))
// runs inside the recorded section, so both are stored as the client got
// them. When Serve returns, the request and the writer are ctx's again
// (on a panic too), and the writer's status and size are what was sent.
//
// next must not be nil.
func Serve(m *idempotency.Middleware, ctx iris.Context, next iris.Handler) {
	c := calls.Get().(*call)
	c.ctx, c.next = ctx, next
	c.out.w = ctx.ResponseWriter()
	c.out.holdEncoding()
	returned := false
	defer func() {
		// Also when nothing was sent (a panic): what iris sends next is
		// compressed.
		c.out.compressing()
		if returned { // a panicking handler may still hold c
			*c = call{}
			calls.Put(c)
		}
	}()
	m.Serve(&c.out, ctx.Request(), c)
	returned = true
}

// Middleware guards the rest of the chain (ctx.Next()) with m, for routes
// and parties written by hand: app.Post(path, idemiris.Middleware(m), h)
// or party.Use(idemiris.Middleware(m)). m's methods decide which requests
// are guarded (POST and PATCH by default).
func Middleware(m *idempotency.Middleware) iris.Handler {
	return func(ctx iris.Context) { Serve(m, ctx, proceed) }
}

// proceed is Middleware's handler: the rest of the chain.
func proceed(ctx iris.Context) { ctx.Next() }

var calls = sync.Pool{New: func() any { return new(call) }}

// call is one request through Serve; it is the handler m runs.
type call struct {
	ctx  iris.Context
	next iris.Handler
	out  out
}

// ServeHTTP runs the iris handler with m's writer and request in ctx.
func (c *call) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := c.ctx
	r0 := ctx.Request()
	ctx.ResetRequest(r)
	defer ctx.ResetRequest(r0)

	if rec, ok := c.out.w.(*context.ResponseRecorder); ok {
		// An earlier middleware records (ctx.Record(), as accesslog's
		// body dump does). ResetResponseWriter would put that recorder
		// back in iris's pool while it is still in use, so the handler
		// writes into it as usual, and what it buffered is then sent
		// through w, back into the recorder, where the middleware that
		// started it still finds it.
		c.next(ctx)
		fireErrorCode(ctx)
		status, body := rec.StatusCode(), rec.Body()
		rec.ResetBody()
		w.WriteHeader(status)
		if len(body) > 0 {
			// body still aliases the recorder's buffer: writing it back
			// copies it onto itself.
			w.Write(body)
		}
		return
	}

	// iris writes a status lazily, so the handler gets an iris writer of
	// its own over w; what it holds back is flushed into w below, before
	// m records.
	inner := context.AcquireResponseWriter()
	inner.BeginResponse(w)
	var hw context.ResponseWriter = inner
	if cw, ok := c.out.w.(*context.CompressResponseWriter); ok {
		// The outer writer compresses what comes out of m. The handler
		// gets a stand-in for it that passes bytes through, so that
		// ctx.CompressWriter and ctx.Negotiate find a compressor, as
		// they would without Serve, rather than compress a second time.
		hijacker, _ := inner.(http.Hijacker)
		c.out.stand = &context.CompressResponseWriter{
			CompressWriter: passThrough{inner}, ResponseWriter: inner, Hijacker: hijacker,
			Disabled: cw.Disabled, Encoding: cw.Encoding, Level: cw.Level,
		}
		hw = c.out.stand
	}
	ctx.ResetResponseWriter(hw)
	// This also releases a recorder the handler started over hw.
	defer ctx.ResetResponseWriter(c.out.w)
	c.next(ctx)
	fireErrorCode(ctx)
	if cur := ctx.ResponseWriter(); cur != hw {
		cur.FlushResponse() // a recorder or compressor the handler started
		return
	}
	// The stand-in's own FlushResponse would only write through it to
	// find out about a hijack, and iris's compressor turns that empty
	// write into a Content-Type the record did not see.
	inner.FlushResponse()
	inner.EndResponse()
}

// passThrough is the stand-in's compressor: it compresses nothing.
type passThrough struct{ w io.Writer }

func (p passThrough) Write(b []byte) (int, error) { return p.w.Write(b) }
func (passThrough) Close() error                  { return nil }
func (passThrough) Flush() error                  { return nil }
func (passThrough) Reset(io.Writer)               {}

// fireErrorCode renders iris's error handler for an error status with no
// body yet, as EndRequest would, but now, while m records: EndRequest runs
// after Serve returned, so a replay would lack the page, or, for
// StopWithPlainError, carry another one. The chain's state is restored, so
// middlewares that run after Serve see it as the handler left it; the page
// is written, so EndRequest does not render it again.
func fireErrorCode(ctx iris.Context) {
	app := ctx.Application()
	if !context.StatusCodeNotSuccessful(ctx.GetStatusCode()) || ctx.ResponseWriter().Written() > 0 ||
		app.ConfigurationReadOnly().GetDisableAutoFireStatusCode() {
		return
	}
	handlers, route := ctx.Handlers(), ctx.GetCurrentRoute()
	stopped := ctx.ResumeExecution() // back to where StopExecution was called
	idx := ctx.HandlerIndex(-1)
	app.FireErrorCode(ctx)
	ctx.SetHandlers(handlers)
	ctx.SetCurrentRoute(route)
	ctx.HandlerIndex(idx)
	if stopped {
		ctx.StopExecution()
	}
}

// out is the writer m writes to: the iris writer in place when Serve was
// called, so iris keeps its own account (status, size, a recorder's
// buffer, compression) of everything sent, replays and refusals included.
type out struct {
	w     context.ResponseWriter
	enc   string                          // Content-Encoding held out of the record, see holdEncoding
	stand *context.CompressResponseWriter // the handler's stand-in for w, when w compresses
}

// holdEncoding takes the Content-Encoding that iris's compression
// (iris.Compression, ctx.CompressWriter(true) before Serve) put in the
// headers out of them until the response starts. m records what passes
// through out, which is not yet compressed: a record that said gzip would
// be replayed to a retry that negotiated no compression, or another one.
// Without it the replay is compressed as the retry negotiated.
func (o *out) holdEncoding() {
	cw := compressor(o.w)
	if cw == nil || cw.Disabled {
		return
	}
	h := o.w.Header()
	if v := h.Get(contentEncoding); v != "" && v == cw.Encoding {
		h.Del(contentEncoding)
		o.enc = v
	}
}

// compressing makes the headers describe what iris's compressor, if it
// still compresses, sends: the held Content-Encoding, and no
// Content-Length, which counts the uncompressed body (m's refusals and
// replays set one). The compressor drops that length itself, but only at
// the end, after the headers went out with it. A handler that turned its
// stand-in off (ctx.CompressWriter(false)) turns the compressor off.
func (o *out) compressing() {
	enc := o.enc
	o.enc = ""
	cw := compressor(o.w)
	if cw == nil {
		return
	}
	if o.stand != nil && o.stand.Disabled {
		cw.Disabled = true
	}
	if cw.Disabled {
		return
	}
	h := o.w.Header()
	h.Del("Content-Length")
	if _, ok := h[contentEncoding]; !ok && enc != "" {
		h[contentEncoding] = []string{enc}
	}
}

const contentEncoding = "Content-Encoding"

// compressor is iris's compressing writer behind w, if any.
func compressor(w context.ResponseWriter) *context.CompressResponseWriter {
	if rec, ok := w.(*context.ResponseRecorder); ok {
		w = rec.ResponseWriter
	}
	cw, _ := w.(*context.CompressResponseWriter)
	return cw
}

func (o *out) Header() http.Header { return o.w.Header() }

func (o *out) Write(b []byte) (int, error) { return o.w.Write(b) }

// WriteHeader is called after m took its snapshot of the headers, so what
// compressing changes goes out but is not recorded. 1xx statuses are not
// the response.
func (o *out) WriteHeader(code int) {
	if code >= 200 {
		o.compressing()
	}
	o.w.WriteHeader(code)
}

// Flush and Hijack reach iris's writer, from m's recorder (through
// http.ResponseController) and from the handler's own iris writer, which
// wraps out directly when m runs next unguarded (no key, a method m does
// not guard) and looks for these methods on it.
func (o *out) Flush() { o.w.Flush() }

func (o *out) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(o.w).Hijack()
}

// Unwrap gives http.ResponseController the connection's own writer, for
// deadlines; Flush and Hijack above go through iris.
func (o *out) Unwrap() http.ResponseWriter { return o.w.Naive() }
