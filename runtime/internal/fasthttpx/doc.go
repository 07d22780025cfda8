// Package fasthttpx is the fasthttp half shared by the fiber adapters
// (idemfiber for fiber v2, idemfiber3 for fiber v3): an *http.Request view
// of a fasthttp request and an http.ResponseWriter over a fasthttp
// response, so that the idempotency core, which speaks net/http, runs on
// fasthttp with no net/http round trip. An adapter embeds an [Exchange] in
// its pooled per-request state and keeps only what needs fiber:
//
//	type exchange struct {
//		fasthttpx.Exchange
//		c    *fiber.Ctx
//		next fiber.Handler
//	}
//
//	// In Serve:
//	m.Serve(x.Writer(c.Response()),
//		x.Request(c.UserContext(), c.Request(), c.Method(), c.Context().RemoteAddr()), x)
//
//	// In the core's next, after the fiber handler ran:
//	if x.Recording(w) {
//		x.Record(w, c.Response(), c.App().Config().DisableDefaultContentType)
//	}
//
//	// Before the exchange goes back to its pool:
//	x.Reset()
package fasthttpx
