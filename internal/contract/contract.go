// Package contract is the idempotency contract that the runtime keeps and
// the generator publishes: the header names, the methods a key never
// applies to, and the catalogue of problem responses with their stable
// codes, titles and details.
//
// It is the one home of these facts. runtime/idempotency sends exactly
// these bodies and headers; generator/augment and generator/markdown write
// exactly these into the augmented spec and the Markdown page. A change
// here changes both, so the docs cannot drift from the server.
package contract

import (
	"net/http"
	"strconv"
	"strings"
)

// Header names and values.
const (
	// HeaderKey carries the client's key.
	HeaderKey = "Idempotency-Key"
	// HeaderReplayed is "true" on every replayed response.
	HeaderReplayed = "Idempotency-Replayed"
	// HeaderReplay is ReplayOmitted on a replay whose body was not
	// stored (streamed, over the size cap, cut short, or too large for
	// the store).
	HeaderReplay  = "Idempotency-Replay"
	ReplayOmitted = "omitted"
	// HeaderStripeReplayed is the header Stripe marks its replays with;
	// sent as well as HeaderReplayed where an operation asks for Stripe's
	// dialect, for code written against Stripe's API.
	HeaderStripeReplayed = "Idempotent-Replayed"
)

// MaxKeyLength is the longest key accepted, in bytes.
const MaxKeyLength = 256

// RetryAfterSeconds is the Retry-After of a 409 and of a 503. For a 409,
// the first request usually finishes within a second, and its lease bounds
// a crashed one. For a 503 the request was not processed, so a retry with
// the same key is safe: a full store has room again as soon as in-flight
// requests finish, and an outage is most often a short failover.
const RetryAfterSeconds = 1

// ProblemContentType is the media type of every problem body.
const ProblemContentType = "application/problem+json"

// ProblemTypePrefix starts the "type" member of every problem body; the
// code follows it, e.g. "urn:idemgen:problem:idempotency_key_in_use".
const ProblemTypePrefix = "urn:idemgen:problem:"

// Stable codes: the "code" member of the problem bodies. Clients and the
// published docs rely on them; they never change.
const (
	CodeKeyMissing       = "idempotency_key_missing"
	CodeKeyInvalid       = "idempotency_key_invalid"
	CodeBodyUnreadable   = "request_body_unreadable"
	CodeBodyTooLarge     = "request_body_too_large"
	CodeKeyInUse         = "idempotency_key_in_use"
	CodeKeyReused        = "idempotency_key_reused"
	CodeStoreUnavailable = "idempotency_store_unavailable"
)

// Problem is one RFC 9457 response the middleware sends.
type Problem struct {
	// Name is short and unique, for example keys in the published docs.
	Name   string
	Status int
	Code   string
	Title  string
	Detail string // as sent; for KeyInvalid, the detail of KeyTooLong
	// When says, for people reading the docs, what makes the middleware
	// send it.
	When string
}

// Type is the problem's "type" member.
func (p Problem) Type() string { return ProblemTypePrefix + p.Code }

// Body is the problem+json body exactly as the middleware sends it, less
// the final line break. The catalogue's texts are ASCII without quotes or
// backslashes, so Go's quoting is JSON's.
func (p Problem) Body() string {
	b := make([]byte, 0, 256)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, p.Type())
	b = append(b, `,"title":`...)
	b = strconv.AppendQuote(b, p.Title)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	b = append(b, `,"detail":`...)
	b = strconv.AppendQuote(b, p.Detail)
	b = append(b, `,"code":`...)
	b = strconv.AppendQuote(b, p.Code)
	b = append(b, '}')
	return string(b)
}

// RetryAfter reports whether the response carries Retry-After.
func (p Problem) RetryAfter() bool {
	return p.Status == http.StatusConflict || p.Status == http.StatusServiceUnavailable
}

// The catalogue.
var (
	KeyMissing = Problem{Name: "key_missing", Status: http.StatusBadRequest, Code: CodeKeyMissing,
		Title:  "Idempotency key required",
		Detail: "This operation requires an Idempotency-Key header.",
		When:   "The operation requires a key and the request has no Idempotency-Key header."}
	KeyInvalid = Problem{Name: "key_invalid", Status: http.StatusBadRequest, Code: CodeKeyInvalid,
		Title:  "Invalid idempotency key",
		Detail: KeyDetails[KeyTooLong],
		When:   "The key is empty, longer than 256 bytes, holds a control or non-ASCII character, is a list, is a malformed sf-string, or the header is repeated. The detail names the rule."}
	BodyUnreadable = Problem{Name: "request_body_unreadable", Status: http.StatusBadRequest, Code: CodeBodyUnreadable,
		Title:  "Request body unreadable",
		Detail: "The request body could not be read in full.",
		When:   "The request carries a key and its body could not be read in full."}
	BodyTooLarge = Problem{Name: "request_body_too_large", Status: http.StatusRequestEntityTooLarge, Code: CodeBodyTooLarge,
		Title:  "Request body too large",
		Detail: "The request body is larger than this operation accepts.",
		When:   "The request carries a key and its body is larger than the operation accepts: 1 MiB unless its Notes give another limit."}
	KeyInUse = Problem{Name: "key_in_use", Status: http.StatusConflict, Code: CodeKeyInUse,
		Title:  "Request in progress",
		Detail: "A request with this Idempotency-Key is still being processed; retry after the Retry-After delay.",
		When:   "The first request with this key is still running. The response carries Retry-After (seconds); retry then with the same key."}
	KeyReused = Problem{Name: "key_reused", Status: http.StatusUnprocessableEntity, Code: CodeKeyReused,
		Title:  "Idempotency key reused",
		Detail: "This Idempotency-Key was already used for a different request (method, path, query or body differ).",
		When:   "The key was already used on this operation for a different request: the method, path, query string or body differ, compared byte for byte (headers are not compared) unless the operation's policy sets another rule. Keys are per operation: the same key on another operation is a different key. Use a new key for a new request."}
	StoreUnavailable = Problem{Name: "store_unavailable", Status: http.StatusServiceUnavailable, Code: CodeStoreUnavailable,
		Title:  "Idempotency store unavailable",
		Detail: "The idempotency store could not be reached; the request was not processed. Retry later with the same key.",
		When:   "The server could not reach its idempotency store, so it did not process the request. The response carries Retry-After (seconds); retry then with the same key."}
	// StoreFull keeps the code of StoreUnavailable: clients handle both
	// alike, and the title says which happened.
	StoreFull = Problem{Name: "store_full", Status: http.StatusServiceUnavailable, Code: CodeStoreUnavailable,
		Title:  "Idempotency store full",
		Detail: "The idempotency store has no room for this request right now; it was not processed. Retry later with the same key.",
		When:   "The server's idempotency store has no room for the request right now, so it did not process it. The response carries Retry-After (seconds); retry then with the same key."}
)

// KeyError is why a key was refused; each has its own detail.
type KeyError uint8

// The reasons a key is refused. KeyOK is not an error.
const (
	KeyOK KeyError = iota
	KeyEmpty
	KeyTooLong
	KeyControl
	KeyNonASCII
	KeyList
	KeyRepeated
	KeyBadString
)

// KeyDetails is the problem detail of each KeyError: it names the header
// and the rule, and never echoes the (possibly binary or huge) value.
var KeyDetails = [...]string{
	KeyOK:        "The Idempotency-Key header is invalid.",
	KeyEmpty:     "The Idempotency-Key header is present but empty.",
	KeyTooLong:   "The Idempotency-Key header is longer than 256 bytes.",
	KeyControl:   "The Idempotency-Key header contains a control character.",
	KeyNonASCII:  "The Idempotency-Key header contains a non-ASCII character.",
	KeyList:      "The Idempotency-Key header holds a list; send exactly one key.",
	KeyRepeated:  "The Idempotency-Key header is repeated; send it exactly once.",
	KeyBadString: "The Idempotency-Key header is a malformed structured-field string.",
}

// Detail is the problem detail sent for the error.
func (e KeyError) Detail() string {
	if int(e) < len(KeyDetails) {
		return KeyDetails[e]
	}
	return KeyDetails[KeyOK]
}

// Error makes a KeyError usable as an error (the Err of an Event).
func (e KeyError) Error() string { return "idempotency: " + e.Detail() }

// A key taken from the request body (x-idempotent key: {in: body}) obeys
// the header's rules and gets the header's codes and titles, with details
// that name the body.
var (
	BodyKeyMissing = Problem{Name: "body_key_missing", Status: http.StatusBadRequest, Code: CodeKeyMissing,
		Title:  KeyMissing.Title,
		Detail: "This operation requires an idempotency key in the request body.",
		When:   "The operation takes its key from the request body and requires it, and the body has none there (or is not valid JSON, or not a form)."}
	BodyKeyInvalid = Problem{Name: "body_key_invalid", Status: http.StatusBadRequest, Code: CodeKeyInvalid,
		Title:  KeyInvalid.Title,
		Detail: BodyKeyDetails[KeyTooLong],
		When:   "The key in the request body is not a string, is empty, longer than 256 bytes, holds a control or non-ASCII character, is a list, is a malformed sf-string, or appears twice (a repeated member or form field). The detail names the rule."}
)

// KeyNotString is a key in a JSON body whose value is not a string (null
// included); a header cannot have this fault.
const KeyNotString = KeyBadString + 1

// BodyKeyDetails is the problem detail of each KeyError for a key taken
// from the body: the header's, naming the body instead.
var BodyKeyDetails = bodyKeyDetails()

func bodyKeyDetails() []string {
	ds := make([]string, KeyNotString+1)
	for e := KeyOK; e <= KeyBadString; e++ {
		ds[e] = strings.Replace(KeyDetails[e], "The Idempotency-Key header", "The request body's idempotency key", 1)
	}
	ds[KeyNotString] = "The request body's idempotency key is not a string."
	return ds
}

// SafeMethod reports the methods a key never applies to and x-idempotent
// may not mark: a safe request has nothing to replay. QUERY is safe by
// its definition (draft-ietf-httpbis-safe-method-w-body).
func SafeMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, "QUERY":
		return true
	}
	return false
}
