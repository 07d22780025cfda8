package idemiris

import (
	"github.com/kataras/iris/v12"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// CheckKey returns an iris handler that answers a request whose
// Idempotency-Key m would refuse (absent where m requires it, or invalid)
// with m's problem and stops the chain, and lets every other request on
// (ctx.Next); see [idempotency.Middleware.CheckKey]. The generated
// RegisterIdempotentHandlers runs it in front of the handlers oapi-codegen
// generated from the augmented spec, which bind the header themselves.
func CheckKey(m *idempotency.Middleware) iris.Handler {
	return func(ctx iris.Context) {
		// Through out, as Serve answers: behind iris.Compression, the
		// problem's Content-Length would count the uncompressed body.
		if !m.CheckKey(&out{w: ctx.ResponseWriter()}, ctx.Request()) {
			ctx.StopExecution()
			return
		}
		ctx.Next()
	}
}
