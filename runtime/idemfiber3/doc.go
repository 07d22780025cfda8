// Package idemfiber3 puts gofiber/fiber v3 handlers behind the idemgen
// runtime: [Serve] runs one operation's handler under an
// [idempotency.Middleware], [Middleware] guards a chain. The core decides
// everything (claim, replay, 409, 422, 400, store, release); this package
// maps fiber's fasthttp request and response onto the net/http types the
// core speaks, with no net/http round trip.
//
// The generated code calls Serve for each marked operation:
//
//	func (s *IdempotentServer) CreatePayment(c fiber.Ctx) error {
//		return idemfiber3.Serve(s.createPayment, c, func(c fiber.Ctx) error {
//			return s.ServerInterface.CreatePayment(c)
//		})
//	}
//
// By hand, Middleware guards the handlers after it:
//
//	m := idempotency.New(store, idempotency.WithKeyRequired(true))
//	app.Post("/payments", idemfiber3.Middleware(m), createPayment)
//
// While the handler runs under a claimed key, idempotency.FromContext(
// c.Context()) gives the key; the handler reads the body, params and
// Locals from c as usual. The Info is in fiber's user context only:
// fiber.Ctx is itself a context.Context, but its Value reads Locals, so
// idempotency.FromContext(c) does not find it, nor does a net/http
// handler that fiber v3 adapts (its request's context is the fasthttp
// RequestCtx); the response such a handler writes is recorded as any.
//
// What is recorded is the response the handler leaves in c.Response()
// when it returns, after the app's ErrorHandler has answered an error it
// returned (Serve then returns nil): status, headers and body, as fasthttp
// sends them. Hence:
//
//   - Changes made after the handler returns, by the middlewares before
//     Serve (compress, ETag, headers set after c.Next()), are not
//     recorded; they run again on a replay, as on the first response.
//   - A body stream (SendStream, SendStreamWriter, SendFile) is left to
//     fasthttp unread: only status and headers are stored, and the replay
//     has an empty body with Idempotency-Replay: omitted.
//   - c.End, c.Drop and c.SendEarlyHints write to or close the connection
//     themselves; the response left in c.Response() is still what is
//     stored (after Drop, an empty 200 unless the handler set another).
//     Return an error that maps to a 5xx to release the key instead.
//   - Content-Length, Date and Server are fasthttp's, set when it writes.
//   - An unguarded request (no key, a method the middleware does not
//     guard, a key an outer layer already holds) is not recorded, and the
//     handler's error goes back to fiber as without Serve.
//
// The fingerprint covers the raw request body as received (not decoded
// from its Content-Encoding). With fiber's StreamRequestBody, fasthttp
// reads the whole body into memory before idempotency.WithMaxRequestBody
// can refuse it.
package idemfiber3
