package idempotency

import (
	"net/http"
	"strconv"

	"github.com/idemgen/idemgen/internal/contract"
)

// Stable codes of the problem+json bodies the middleware sends (the "code"
// member). Clients and the published docs rely on them; they never change.
const (
	CodeKeyMissing       = contract.CodeKeyMissing       // 400: key required but absent
	CodeKeyInvalid       = contract.CodeKeyInvalid       // 400: key empty, too long, not ASCII, a list, repeated
	CodeBodyUnreadable   = contract.CodeBodyUnreadable   // 400: the request body could not be read
	CodeBodyTooLarge     = contract.CodeBodyTooLarge     // 413: body over WithMaxRequestBody
	CodeKeyInUse         = contract.CodeKeyInUse         // 409: the first request with this key is still running
	CodeKeyReused        = contract.CodeKeyReused        // 422: same key, different request
	CodeStoreUnavailable = contract.CodeStoreUnavailable // 503: the store failed or is full (fail closed)
)

// problem is an RFC 9457 body rendered once at init, so the reject paths
// only copy bytes.
type problem struct {
	status int
	body   []byte
	length []string
	retry  []string // Retry-After, when set
}

var (
	problemCT      = []string{contract.ProblemContentType}
	noStore        = []string{"no-store"}
	retryAfter     = []string{strconv.Itoa(contract.RetryAfterSeconds)}
	replayedTrue   = []string{"true"}
	replayOmitted  = []string{contract.ReplayOmitted}
	nosniff        = []string{"nosniff"}
	probKeyMissing = newProblem(contract.KeyMissing)
	probUnreadable = newProblem(contract.BodyUnreadable)
	probTooLarge   = newProblem(contract.BodyTooLarge)
	probInUse      = newProblem(contract.KeyInUse)
	probReused     = newProblem(contract.KeyReused)
	probStore      = newProblem(contract.StoreUnavailable)
	probStoreFull  = newProblem(contract.StoreFull)
	probKeyInvalid = keyProblems()
)

// keyProblems renders one 400 body per key error, indexed by keyError.
func keyProblems() []problem {
	ps := make([]problem, keyBadString+1)
	for e := keyEmpty; e <= keyBadString; e++ {
		p := contract.KeyInvalid
		p.Detail = e.Detail()
		ps[e] = newProblem(p)
	}
	return ps
}

// newProblem renders c's body once.
func newProblem(c contract.Problem) problem {
	b := []byte(c.Body() + "\n")
	p := problem{status: c.Status, body: b, length: []string{strconv.Itoa(len(b))}}
	if c.RetryAfter() {
		p.retry = retryAfter
	}
	return p
}

// write sends the problem. Headers the handler or an outer middleware set
// are kept, except those that would misdescribe the body.
func (p *problem) write(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = problemCT
	h["Content-Length"] = p.length
	h["Cache-Control"] = noStore
	h["X-Content-Type-Options"] = nosniff
	if p.retry != nil {
		h["Retry-After"] = p.retry
	}
	w.WriteHeader(p.status)
	w.Write(p.body)
}
