// Package idemecho puts echo (github.com/labstack/echo/v4) handlers behind
// an [idempotency.Middleware]. It maps echo's context onto the middleware's
// Serve and nothing more: the middleware alone decides whether a request
// runs, replays, waits or is refused.
//
// The wrappers idemgen generates for oapi-codegen's echo server call
// [Serve] once per operation:
//
//	func (s *IdempotentServer) CreatePayment(ctx echo.Context) error {
//		return idemecho.Serve(s.createPayment, ctx, func(ctx echo.Context) error {
//			return s.ServerInterface.CreatePayment(ctx)
//		})
//	}
//
// Hand-written routes use [Middleware]:
//
//	m := idempotency.New(idempotency.NewMemoryStore(24*time.Hour), idempotency.WithKeyRequired(true))
//	e := echo.New()
//	e.Use(middleware.Recover())
//	e.POST("/payments", createPayment, idemecho.Middleware(m))
//
// What is recorded is what the handler writes through c.Response() and,
// for an error it returns, what echo's HTTPErrorHandler writes for it:
// both are stored and replayed with their status, headers and body.
//
// Caveats:
//
//   - An error returned under a key is answered inside Serve, which then
//     returns nil: middlewares outside see the status that was sent (in
//     c.Response().Status) but not the error. Without a key, or for a
//     method m does not guard, the error is returned as usual.
//   - Nothing written after the handler returns is recorded: not by an
//     outer middleware after next, nor by a goroutine or a Response the
//     handler kept. A handler must not write once it has returned.
//   - Headers set by Before hooks on the outer c.Response() (registered by
//     middlewares that run before Serve) are not recorded; those hooks run
//     again for the replay, so the replay gets them from them.
//   - A panic is not answered here: the key is released and the panic goes
//     on to echo's Recover middleware, whose 500 is not stored.
//   - Route parameters, c.Get values and the framework's context are those
//     of c; only the request and the response are swapped while the handler
//     runs, and both are restored when Serve returns, even on a panic.
package idemecho
