package idemgin

import (
	"github.com/gin-gonic/gin"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// CheckKey returns a gin handler that answers a request whose
// Idempotency-Key m would refuse (absent where m requires it, or invalid)
// with m's problem and aborts the chain, and lets every other request on
// to the next handler; see [idempotency.Middleware.CheckKey]. The
// generated RegisterIdempotentHandlers puts it in front of the handlers
// oapi-codegen generated from the augmented spec, which bind the header
// themselves.
func CheckKey(m *idempotency.Middleware) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !m.CheckKey(c.Writer, c.Request) {
			c.Abort()
		}
	}
}
