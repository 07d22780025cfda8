// Package idemecho5 puts echo v5 (github.com/labstack/echo/v5) handlers
// behind an [idempotency.Middleware]. It maps echo's context onto the
// middleware's Serve and nothing more: the middleware alone decides
// whether a request runs, replays, waits or is refused. (Package idemecho
// is the same for echo v4.)
//
// The wrappers idemgen generates for an echo v5 server call [Serve] once
// per operation:
//
//	func (s *IdempotentServer) CreatePayment(ctx *echo.Context) error {
//		return idemecho5.Serve(s.createPayment, ctx, func(ctx *echo.Context) error {
//			return s.ServerInterface.CreatePayment(ctx)
//		})
//	}
//
// Hand-written routes use [Middleware]:
//
//	m := idempotency.New(idempotency.NewMemoryStore(24*time.Hour), idempotency.WithKeyRequired(true))
//	e := echo.New()
//	e.Use(middleware.Recover())
//	e.POST("/payments", createPayment, idemecho5.Middleware(m))
//
// What is recorded is what the handler writes through c.Response() and,
// for an error it returns, what the Echo's HTTPErrorHandler writes for it:
// both are stored and replayed with their status, headers and body.
//
// Caveats:
//
//   - An error returned under a key is answered inside Serve, which then
//     returns nil: middlewares outside see the status that was sent (in
//     the [echo.Response] that c.Response() unwraps to) but not the error.
//     Without a key, or for a method m does not guard, the error is
//     returned as usual.
//   - While the handler runs, c.Response() is a fresh [echo.Response] over
//     the recorder; [echo.UnwrapResponse] on it stops there, not at the
//     Response outer middlewares hold. A handler that keeps it, or writes
//     once it has returned (a goroutine, an outer middleware after next),
//     is not recorded.
//   - Headers set by Before hooks on the outer Response (registered by
//     middlewares that run before Serve) are not recorded; those hooks run
//     again for the replay, so the replay gets them from them.
//   - A panic is not answered here: the key is released and the panic goes
//     on to echo's Recover middleware, whose 500 is not stored.
//   - Route parameters, c.Get values and the framework's context are those
//     of c; only the request and the response are swapped while the handler
//     runs, and both are restored when Serve returns, even on a panic.
package idemecho5
