package augment

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Problem is one RFC 9457 error the runtime middleware can send for an
// idempotent operation. The codes, types and texts are the runtime's own
// (runtime/idempotency/problem.go); a test drives the middleware to keep
// them identical.
type Problem struct {
	Status int
	Code   string // the stable "code" member
	Title  string
	Detail string // the detail of the example body
	// When says, for people, what makes the middleware send it.
	When string
}

// Type is the problem's "type" member.
func (p Problem) Type() string { return idempotency.ProblemTypePrefix + p.Code }

// Body is the problem+json body as the middleware sends it (without the
// final line break).
func (p Problem) Body() string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(p.example()) // only strings and ints: cannot fail
	return strings.TrimSuffix(b.String(), "\n")
}

type exampleBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
}

func (p Problem) example() exampleBody {
	return exampleBody{Type: p.Type(), Title: p.Title, Status: p.Status, Detail: p.Detail, Code: p.Code}
}

func (e exampleBody) omap() *omap {
	return newMap("type", e.Type, "title", e.Title, "status", e.Status, "detail", e.Detail, "code", e.Code)
}

// The catalog. Titles and details match the runtime byte for byte.
var (
	ProblemKeyMissing = Problem{http.StatusBadRequest, idempotency.CodeKeyMissing, "Idempotency key required",
		"This operation requires an Idempotency-Key header.",
		"The operation requires a key and the request has no Idempotency-Key header."}
	ProblemKeyInvalid = Problem{http.StatusBadRequest, idempotency.CodeKeyInvalid, "Invalid idempotency key",
		"The Idempotency-Key header is longer than 256 bytes.",
		"The key is empty, longer than 256 bytes, holds a control or non-ASCII character, is a list, is a malformed sf-string, or the header is repeated. The detail names the rule."}
	ProblemInUse = Problem{http.StatusConflict, idempotency.CodeKeyInUse, "Request in progress",
		"A request with this Idempotency-Key is still being processed; retry after the Retry-After delay.",
		"The first request with this key is still running. The response carries Retry-After (seconds); retry then with the same key."}
	ProblemTooLarge = Problem{http.StatusRequestEntityTooLarge, idempotency.CodeBodyTooLarge, "Request body too large",
		"The request body is larger than this operation accepts.",
		"The request carries a key and its body is larger than the operation accepts: 1 MiB unless its Notes give another limit."}
	ProblemReused = Problem{http.StatusUnprocessableEntity, idempotency.CodeKeyReused, "Idempotency key reused",
		"This Idempotency-Key was already used for a different request (method, path, query or body differ).",
		"The key was already used for a different request (method, path, query or body differ). Use a new key for a new request."}
	ProblemStore = Problem{http.StatusServiceUnavailable, idempotency.CodeStoreUnavailable, "Idempotency store unavailable",
		"The idempotency store could not be reached; the request was not processed. Retry later with the same key.",
		"The server could not reach its idempotency store, so it did not process the request. Retry later with the same key."}
)
