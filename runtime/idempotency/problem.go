package idempotency

import (
	"net/http"
	"strconv"
)

// Stable codes of the problem+json bodies the middleware sends (the "code"
// member). Clients and generated docs may rely on them; they never change.
const (
	CodeKeyMissing       = "idempotency_key_missing"       // 400: key required but absent
	CodeKeyInvalid       = "idempotency_key_invalid"       // 400: key empty, too long, not ASCII, a list, repeated
	CodeBodyUnreadable   = "request_body_unreadable"       // 400: the request body could not be read
	CodeBodyTooLarge     = "request_body_too_large"        // 413: body over WithMaxRequestBody
	CodeKeyInUse         = "idempotency_key_in_use"        // 409: the first request with this key is still running
	CodeKeyReused        = "idempotency_key_reused"        // 422: same key, different request
	CodeStoreUnavailable = "idempotency_store_unavailable" // 503: the store failed or is full (fail closed)
)

// ProblemTypePrefix starts the "type" member of every problem body; the
// code follows it, e.g. "urn:idemgen:problem:idempotency_key_in_use".
const ProblemTypePrefix = "urn:idemgen:problem:"

// ProblemContentType is the media type of the middleware's error bodies.
const ProblemContentType = "application/problem+json"

// RetryAfterSeconds is the Retry-After value of a 409 and of a 503. For a
// 409, the first request usually finishes within a second, and its lease
// bounds a crashed one. For a 503 the request was not processed, so a
// retry with the same key is safe; a full store has room again as soon as
// in-flight requests finish, and a store outage is most often a short
// failover. Clients back off further on repeated 503s.
const RetryAfterSeconds = 1

// problem is an RFC 9457 body rendered once at init, so the reject paths
// only copy bytes.
type problem struct {
	status int
	body   []byte
	length []string
	retry  []string // Retry-After, when set
}

var (
	problemCT      = []string{ProblemContentType}
	noStore        = []string{"no-store"}
	retryAfter     = []string{strconv.Itoa(RetryAfterSeconds)}
	replayedTrue   = []string{"true"}
	replayOmitted  = []string{"omitted"}
	nosniff        = []string{"nosniff"}
	probKeyMissing = newProblem(http.StatusBadRequest, CodeKeyMissing, "Idempotency key required",
		"This operation requires an Idempotency-Key header.")
	probUnreadable = newProblem(http.StatusBadRequest, CodeBodyUnreadable, "Request body unreadable",
		"The request body could not be read in full.")
	probTooLarge = newProblem(http.StatusRequestEntityTooLarge, CodeBodyTooLarge, "Request body too large",
		"The request body is larger than this operation accepts.")
	probInUse = newProblem(http.StatusConflict, CodeKeyInUse, "Request in progress",
		"A request with this Idempotency-Key is still being processed; retry after the Retry-After delay.")
	probReused = newProblem(http.StatusUnprocessableEntity, CodeKeyReused, "Idempotency key reused",
		"This Idempotency-Key was already used for a different request (method, path, query or body differ).")
	probStore = newProblem(http.StatusServiceUnavailable, CodeStoreUnavailable, "Idempotency store unavailable",
		"The idempotency store could not be reached; the request was not processed. Retry later with the same key.")
	// A full store keeps the code of an unavailable one (the published
	// contract's codes never change) but says what happened.
	probStoreFull = newProblem(http.StatusServiceUnavailable, CodeStoreUnavailable, "Idempotency store full",
		"The idempotency store has no room for this request right now; it was not processed. Retry later with the same key.")
	probKeyInvalid = keyProblems()
)

// keyProblems renders one 400 body per key error, indexed by keyError.
func keyProblems() []problem {
	ps := make([]problem, keyBadString+1)
	for e := keyEmpty; e <= keyBadString; e++ {
		ps[e] = newProblem(http.StatusBadRequest, CodeKeyInvalid, "Invalid idempotency key", e.detail())
	}
	return ps
}

func newProblem(status int, code, title, detail string) problem {
	b := make([]byte, 0, 256)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, ProblemTypePrefix+code)
	b = append(b, `,"title":`...)
	b = strconv.AppendQuote(b, title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"detail":`...)
	b = strconv.AppendQuote(b, detail)
	b = append(b, `,"code":`...)
	b = strconv.AppendQuote(b, code)
	b = append(b, "}\n"...)
	p := problem{status: status, body: b, length: []string{strconv.Itoa(len(b))}}
	if status == http.StatusConflict || status == http.StatusServiceUnavailable {
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
