package idemfiber

import (
	"github.com/gofiber/fiber/v2"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// CheckKey returns a fiber handler that answers a request whose
// Idempotency-Key m would refuse (absent where m requires it, or invalid)
// with m's problem, written into c's response, and runs c.Next for every
// other request; see [idempotency.Middleware.CheckKey]. The generated
// RegisterIdempotentHandlers puts it in front of the handlers oapi-codegen
// generated from the augmented spec, which bind the header themselves.
func CheckKey(m *idempotency.Middleware) fiber.Handler {
	return func(c *fiber.Ctx) error {
		x := exchangePool.Get().(*exchange)
		r := x.Request(c.UserContext(), c.Request(), c.Method(), c.Context().RemoteAddr())
		ok := m.CheckKey(x.Writer(c.Response()), r)
		x.release()
		if !ok {
			return nil // answered
		}
		return c.Next()
	}
}
