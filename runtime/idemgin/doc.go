// Package idemgin puts gin (github.com/gin-gonic/gin) handlers behind an
// [idempotency.Middleware]. It maps gin's context onto the middleware's
// Serve and nothing more: the middleware alone decides whether a request
// runs, replays, waits or is refused.
//
// The wrappers idemgen generates for oapi-codegen's gin server call
// [Serve] once per operation:
//
//	func (s *IdempotentServer) PlaceOrder(c *gin.Context, params PlaceOrderParams) {
//		idemgin.Serve(s.mwPlaceOrder, c, func(c *gin.Context) {
//			s.ServerInterface.PlaceOrder(c, params)
//		})
//	}
//
// Hand-written routes use [Middleware]:
//
//	m := idempotency.New(idempotency.NewMemoryStore(24*time.Hour), idempotency.WithKeyRequired(true))
//	r := gin.New()
//	r.Use(gin.Logger(), gin.Recovery())
//	r.POST("/payments", idemgin.Middleware(m), createPayment)
//
// What is recorded, and replayed with its status, headers (Content-Type
// included) and body, is what the handler writes through c.Writer: c.JSON
// and the other renders, c.Data, c.String, c.AbortWithStatusJSON, and a
// status set alone (c.Status(204), c.AbortWithStatus). The handler's
// c.Writer keeps gin's late status, so headers set after c.Status and
// before the first byte of body are recorded as sent. The handler reads
// the key with idempotency.FromContext(c.Request.Context()) (or
// FromContext(c) on an engine with ContextWithFallback).
//
// Caveats:
//
//   - Nothing written after the handler returns is recorded: not by a
//     middleware that writes after c.Next() outside Serve or Middleware,
//     nor by a goroutine the handler started. This includes gin's error
//     pattern: errors pushed with c.Error(err) that an error middleware
//     outside turns into a response after the chain. Only what the handler
//     itself wrote is recorded; one that wrote nothing is recorded as 200
//     with no body, stored and replayed. Answer errors in the handler, or
//     register the error middleware after Middleware, inside the recorded
//     chain.
//   - After a recorded run, a replay or a problem, Serve sends c.Writer's
//     status and headers before it returns, so outer middlewares see
//     Written() and the right Status() and Size(), and a header they set
//     afterwards goes to neither the client nor the record (body bytes
//     they write still reach the client, and only it).
//   - When m answers without running the handler, Middleware aborts the
//     chain (c.IsAborted() is true); Serve leaves the chain alone.
//   - A panic is not answered here: the key is released and the panic
//     goes on to gin's recovery middleware, whose 500 is not stored.
//   - A flushed response is stored as status and headers only, a hijacked
//     connection's not at all (the key is released), and resources pushed
//     through Pusher() are not part of the record.
//   - Route parameters, c.Keys and gin's context are those of c; only
//     c.Request and c.Writer are swapped while the handler runs, and both
//     are restored when Serve returns, even on a panic.
package idemgin
