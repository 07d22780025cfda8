package idemecho

import (
	"github.com/labstack/echo/v4"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// CheckKey returns echo middleware that answers a request whose
// Idempotency-Key m would refuse (absent where m requires it, or invalid)
// with m's problem, and runs next for every other request; see
// [idempotency.Middleware.CheckKey]. The generated
// RegisterIdempotentHandlers puts it in front of the handlers oapi-codegen
// generated from the augmented spec, which bind the header themselves.
func CheckKey(m *idempotency.Middleware) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !m.CheckKey(c.Response(), c.Request()) {
				return nil // answered
			}
			return next(c)
		}
	}
}
