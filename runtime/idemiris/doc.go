// Package idemiris puts iris (github.com/kataras/iris/v12) handlers behind
// an [idempotency.Middleware]. It maps iris's context onto the
// middleware's Serve and nothing more: the middleware alone decides whether
// a request runs, replays, waits or is refused.
//
// The wrappers idemgen generates for oapi-codegen's iris server call
// [Serve] once per operation:
//
//	func (s *IdempotentServer) Checkout(ctx iris.Context, cartId string) {
//		idemiris.Serve(s.mwCheckout, ctx, func(ctx iris.Context) {
//			s.ServerInterface.Checkout(ctx, cartId)
//		})
//	}
//
// Hand-written routes use [Middleware]:
//
//	m := idempotency.New(idempotency.NewMemoryStore(24*time.Hour), idempotency.WithKeyRequired(true))
//	app := iris.New()
//	app.Use(recover.New())
//	app.Post("/payments", idemiris.Middleware(m), createPayment)
//
// What is recorded is the response as iris sends it: ctx.JSON, ctx.Write,
// ctx.StopWithJSON and ctx.StopWithError, a status only set with
// ctx.StatusCode, and the page iris's error handler (OnErrorCode, or the
// default status text) renders for an error status the handler left
// without a body, which Serve has iris render before the response is
// stored rather than at the end of the request. The response goes out
// through the iris writer the request had, so iris's compression, a
// recorder an earlier middleware started, and the status and size that
// loggers read all work as without Serve.
//
// Caveats:
//
//   - Nothing written or changed after the handler returns is recorded:
//     a middleware after Serve that sets a status or a header, or changes
//     a recorder's body (ctx.Recorder().SetBody), changes what the client
//     gets, not what is stored; so does a goroutine the handler started.
//   - Under iris.Compression the record holds the uncompressed response,
//     and each replay is compressed as its own request negotiated. A
//     handler's ctx.CompressWriter(false) applies to its own response
//     only; its replays are compressed as usual. A handler that turns
//     compression on itself when nothing before Serve did
//     (ctx.CompressWriter(true), ctx.Negotiate with an encoding) has its
//     compressed bytes stored with their Content-Encoding, and replayed
//     so whatever the retry accepts.
//   - iris's error handler for an error status runs at most once per
//     request with Serve as without it, except when it writes nothing:
//     then iris runs it again at the end of the request, unrecorded.
//   - The middleware reads the request body before the handler runs; an
//     earlier middleware that reads it first (ctx.GetBody, ctx.ReadJSON)
//     must keep it readable (iris.WithoutBodyConsumptionOnUnmarshal or
//     ctx.RecordRequestBody(true)), or the fingerprint and the handler see
//     an empty body.
//   - Under a recording writer (ctx.Record() before Serve) a handler's
//     Flush is the recorder's, which streams nothing through the record:
//     what is stored is what the recorder holds when the handler returns.
//   - A panic is not answered here: the key is released and the panic goes
//     on to iris's recover middleware, whose 500 is not stored.
//   - Route parameters, ctx.Values and the route are those of ctx; only
//     the request and the response writer are swapped while the handler
//     runs, and both are restored when Serve returns, even on a panic.
package idemiris
