package augment

import "github.com/idemgen/idemgen/internal/contract"

// exampleBody is a problem body as the augmented spec shows it, in the
// order the middleware sends its members (contract.Problem.Body).
func exampleBody(p contract.Problem) *omap {
	return newMap("type", p.Type(), "title", p.Title, "status", p.Status, "detail", p.Detail, "code", p.Code)
}
