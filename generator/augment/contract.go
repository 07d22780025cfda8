package augment

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
)

// The contract's header names, as the augmented spec uses them.
const (
	HeaderName     = contract.HeaderKey
	ReplayedHeader = contract.HeaderReplayed
)

// keyVariant is what an operation's key parameter states: its policy
// less what other components say (the body limit is the 413's). A
// parameter states all of it, so each distinct variant gets its own
// component; a document whose operations all agree gets one, named
// IdempotencyKey. It is comparable, to key a map.
type keyVariant struct {
	required    bool
	ttl         time.Duration
	wait        time.Duration
	scope       string // the scope headers, joined with ", "
	storeErrors bool
	maxResponse int64
}

func variantOf(p model.Policy) keyVariant {
	v := keyVariant{
		required: p.Required, ttl: p.TTL, wait: p.Wait,
		scope:       strings.Join(p.ScopeHeaders, ", "),
		storeErrors: p.StoreServerErrors, maxResponse: p.MaxResponseBytes,
	}
	if v.maxResponse == defaultMaxBytes {
		v.maxResponse = 0 // the default, said once in the Idempotency-Replay header
	}
	return v
}

// variantName names a variant's parameter component: IdempotencyKey when
// the document has a single variant, else IdempotencyKey plus what sets
// it apart from the default (optional, 24h): "Required", "TTL<duration>",
// "Wait<duration>", "Scoped", "StoresServerErrors", e.g.
// IdempotencyKeyRequiredTTL48h. Variants that differ only in what the name
// does not show (the scope headers, maxResponseBytes) are told apart by
// pick's numbering.
func variantName(v keyVariant, single bool) string {
	name := "IdempotencyKey"
	if single {
		return name
	}
	if v.required {
		name += "Required"
	}
	if v.ttl != model.DefaultPolicy.TTL {
		name += "TTL" + model.FormatDuration(v.ttl)
	}
	if v.wait > 0 {
		name += "Wait" + model.FormatDuration(v.wait)
	}
	if v.scope != "" {
		name += "Scoped"
	}
	if v.storeErrors {
		name += "StoresServerErrors"
	}
	return name
}

// keyTerms states an operation's own terms for its key, wherever the key
// is documented: the header parameter, or the body property.
func keyTerms(v keyVariant) string {
	var b strings.Builder
	if v.required {
		b.WriteString("Required: a request without it gets 400. ")
	} else {
		b.WriteString("Optional: a request without it runs with no protection against duplicates. ")
	}
	fmt.Fprintf(&b, "A key chosen by the client, new for each new request. The result is kept for %s: a retry with "+
		"the same key and the same request gets it again, marked %s: true, without running the operation again.",
		model.FormatDuration(v.ttl), ReplayedHeader)
	if v.wait > 0 {
		fmt.Fprintf(&b, " A retry while the first request still runs waits up to %s for its result before getting 409.", model.FormatDuration(v.wait))
	}
	if v.scope != "" {
		fmt.Fprintf(&b, " Keys are scoped by the request headers %s: callers that differ in them never share a key.", v.scope)
	} else {
		b.WriteString(" Unless the server scopes keys by caller, they are shared between callers: another caller sending the same key and the same request gets this result.")
	}
	if v.storeErrors {
		b.WriteString(" 5xx responses are stored and replayed too.")
	} else {
		b.WriteString(" A 5xx response is not stored: a retry runs the operation again.")
	}
	if v.maxResponse > 0 {
		fmt.Fprintf(&b, " A response body over %s is not stored: its replay has an empty body and %s: %s.",
			byteSize(v.maxResponse), contract.HeaderReplay, contract.ReplayOmitted)
	}
	return b.String()
}

// keyParameter is the key's parameter. Its description states only this
// operation's own terms (keyTerms); what holds for every operation is said
// once, in the components it refers to (the key's syntax in the 400, a key
// reused in the 422, a replay in the Idempotency-Replayed header).
func keyParameter(v keyVariant, swagger bool) *omap {
	p := newMap(
		"name", HeaderName,
		"in", "header",
		"required", v.required,
		"description", keyTerms(v),
	)
	if swagger {
		// Swagger 2.0: a non-body parameter states its type itself.
		p.set("type", "string")
		p.set("minLength", 1)
		p.set("maxLength", contract.MaxKeyLength)
		return p
	}
	p.set("schema", newMap("type", "string", "minLength", 1, "maxLength", contract.MaxKeyLength))
	return p
}

// byteSize writes a size as "64 KiB (65536 bytes)", exact in both.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB (%d bytes)", n>>20, n)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB (%d bytes)", n>>10, n)
	}
	return fmt.Sprintf("%d bytes", n)
}

// sizeName is a size for a component name: 64KiB, 2MiB, 1000B.
func sizeName(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// replayedHeader is the Idempotency-Replayed header object: a
// components.headers entry in OpenAPI 3, written inline on each response
// in Swagger 2.0, which has no reusable headers and types a header itself.
func replayedHeader(swagger bool) *omap {
	return headerObject("true on a replay: the stored response to an earlier request with the same Idempotency-Key, "+
		"sent without running the operation again.", "true", swagger)
}

// replayHeader is the Idempotency-Replay header, sent with the value
// omitted on a replay whose body the store does not hold.
func replayHeader(swagger bool) *omap {
	return headerObject(fmt.Sprintf("%s on a replay whose body was not stored: the response was flushed or streamed, "+
		"its body was over the operation's maxResponseBytes (1 MiB unless the operation says otherwise), or the store could not hold it. "+
		"The status and headers are the original's; the body is empty.", contract.ReplayOmitted),
		contract.ReplayOmitted, swagger)
}

// echoedKeyHeader is the request's Idempotency-Key sent back (echoKey).
func echoedKeyHeader(swagger bool) *omap {
	h := newMap("description", "The request's Idempotency-Key, sent back on the first answer and on every replay.")
	if swagger {
		h.set("type", "string")
		return h
	}
	h.set("schema", newMap("type", "string"))
	return h
}

// stripeReplayedHeader is Stripe's name for Idempotency-Replayed
// (stripeReplayed).
func stripeReplayedHeader(swagger bool) *omap {
	return headerObject("true on a replay, as Stripe sends it; the same as Idempotency-Replayed.", "true", swagger)
}

func headerObject(desc, value string, swagger bool) *omap {
	h := newMap("description", desc)
	if swagger {
		h.set("type", "string")
		h.set("enum", []any{value})
		return h
	}
	h.set("schema", newMap("type", "string", "enum", []any{value}))
	return h
}

// defaultMaxBytes is the runtime's default cap on the request body it
// fingerprints and on the response body it stores
// (idempotency.DefaultMaxRequestBody, DefaultMaxResponseBody).
const defaultMaxBytes = 1 << 20

// replayable reports whether the runtime stores, and so can replay, a
// response declared under this key of a responses map ("201", "4XX",
// "default"). A 1xx is not final; a 5xx is released for a retry unless
// storeServerErrors. Every other status, 4xx included, is stored, and
// default stands for those too.
func replayable(status string, p model.Policy) bool {
	if status == "" || strings.EqualFold(status, "default") {
		return true
	}
	switch status[0] {
	case '1':
		return false
	case '5':
		return p.StoreServerErrors
	}
	return true
}

func problemSchema() *omap {
	str := func(desc string) *omap { return newMap("type", "string", "description", desc) }
	return newMap(
		"type", "object",
		"description", "An RFC 9457 problem details object (media type application/problem+json).",
		"properties", newMap(
			"type", newMap("type", "string", "format", "uri-reference", "description", "A URI reference that identifies the problem type."),
			"title", str("A short summary of the problem type."),
			"status", newMap("type", "integer", "description", "The HTTP status code."),
			"detail", str("An explanation specific to this occurrence."),
			"instance", newMap("type", "string", "format", "uri-reference", "description", "A URI reference that identifies this occurrence."),
			"code", str("A stable, machine-readable code for the problem, e.g. "+contract.CodeKeyInUse+"."),
		),
	)
}

// problemResponse is a components.responses entry; schemaRef points at
// the Problem schema.
type problemResponse struct {
	base     string // preferred component name
	status   int
	desc     string
	examples []contract.Problem
}

// keySyntax is what the 400 says a key may be.
const keySyntax = "empty, longer than 256 bytes, with a control or non-ASCII character, a list (a comma outside an RFC 9651 sf-string; " +
	"\"abc\" is read as abc), a malformed sf-string, or repeated. The request was not processed."

// problemResponses are the problem responses an operation with policy p
// gets, each truthful for it: key_missing only where the key is required,
// the 413 with the operation's own limit. Operations that agree share
// each component.
func problemResponses(p model.Policy) []problemResponse {
	bad := problemResponse{"IdempotencyKeyInvalid", 400, "The Idempotency-Key header is invalid: " + keySyntax,
		[]contract.Problem{contract.KeyInvalid}}
	if p.Required {
		bad = problemResponse{"IdempotencyKeyMissingOrInvalid", 400,
			"The Idempotency-Key header is missing (this operation requires it) or invalid: " + keySyntax,
			[]contract.Problem{contract.KeyMissing, contract.KeyInvalid}}
	}
	limit, large := p.MaxRequestBytes, "IdempotencyRequestTooLarge"
	deflt := ""
	if limit <= 0 || limit == defaultMaxBytes {
		limit, deflt = defaultMaxBytes, ", the default"
	} else {
		large += sizeName(limit)
	}
	prs := []problemResponse{
		bad,
		{"IdempotencyKeyInUse", 409, "A request with the same Idempotency-Key is still being processed. Retry after the Retry-After delay with the same key.", []contract.Problem{contract.KeyInUse}},
		{large, 413, fmt.Sprintf("The request carries an Idempotency-Key and its body is over this operation's limit of %s%s, so it was not processed.", byteSize(limit), deflt), []contract.Problem{contract.BodyTooLarge}},
		reused(p.Fingerprint),
		{"IdempotencyStoreUnavailable", 503, "The idempotency store is unreachable or full, so the request was not processed. Retry after the Retry-After delay with the same key.", []contract.Problem{contract.StoreUnavailable, contract.StoreFull}},
	}
	if p.Key.InBody {
		bodyKeyResponses(prs, p.Required, byteSize(limit)+deflt)
	}
	return prs
}

// bodyKeyResponses rewrites, in place, the problem responses of an
// operation that takes its key from the request body: the 400 has the
// body's problems, the texts name the key without the header, and the 413
// meets every request over the limit, since the body is read to find the
// key. Their components are named IdempotencyBody... apart from the
// header's.
func bodyKeyResponses(prs []problemResponse, required bool, limit string) {
	for i := range prs {
		pr := &prs[i]
		switch pr.status {
		case 400:
			pr.base = "IdempotencyBodyKeyInvalid"
			pr.desc = "The idempotency key in the request body is invalid: not a string, " + keySyntax
			pr.examples = []contract.Problem{contract.BodyKeyInvalid}
			if required {
				pr.base = "IdempotencyBodyKeyMissingOrInvalid"
				pr.desc = "The idempotency key in the request body is missing (this operation requires it) or invalid: not a string, " + keySyntax
				pr.examples = []contract.Problem{contract.BodyKeyMissing, contract.BodyKeyInvalid}
			}
		case 413:
			pr.base = strings.Replace(pr.base, "IdempotencyRequest", "IdempotencyBodyKeyRequest", 1)
			pr.desc = "The request body is over this operation's limit of " + limit +
				", so it was not processed: the server reads the body to find its idempotency key, with a key or without."
		case 409, 422:
			pr.base = strings.Replace(pr.base, "IdempotencyKey", "IdempotencyBodyKey", 1)
			pr.desc = strings.Replace(pr.desc, "Idempotency-Key", "idempotency key", 1)
		}
	}
}

// value is the response object; in Swagger 2.0 the body is a schema and
// one example per media type (the first problem's), not a content map.
func (pr problemResponse) value(schemaName string, swagger bool) *omap {
	resp := newMap("description", pr.desc)
	if pr.examples[0].RetryAfter() {
		retry := newMap("description", "Seconds to wait before retrying with the same key.")
		if swagger {
			retry.set("type", "integer")
		} else {
			retry.set("schema", newMap("type", "integer"))
		}
		resp.set("headers", newMap("Retry-After", retry))
	}
	if swagger {
		resp.set("schema", ref(true, "schemas", schemaName))
		resp.set("examples", newMap(contract.ProblemContentType, exampleBody(pr.examples[0])))
		return resp
	}
	examples := &omap{}
	for _, p := range pr.examples {
		examples.set(p.Name, newMap("summary", p.Title, "value", exampleBody(p)))
	}
	resp.set("content", newMap(contract.ProblemContentType, newMap(
		"schema", ref(false, "schemas", schemaName),
		"examples", examples,
	)))
	return resp
}

// swaggerSections maps a components section to the top-level key that
// holds the same objects in Swagger 2.0.
var swaggerSections = map[string]string{"parameters": "parameters", "responses": "responses", "schemas": "definitions"}

// sectionKeys is the path from the root to a section of reusable objects.
func sectionKeys(swagger bool, section string) []string {
	if swagger {
		return []string{swaggerSections[section]}
	}
	return []string{"components", section}
}

// refPrefix is the start of a local $ref into a section.
func refPrefix(swagger bool, section string) string {
	return "#/" + strings.Join(sectionKeys(swagger, section), "/") + "/"
}

func ref(swagger bool, section, name string) *omap {
	return newMap("$ref", refPrefix(swagger, section)+escapePointer(name))
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func statusKey(code int) string { return strconv.Itoa(code) }

// reused is the 422 of an operation whose fingerprint rule is fp: what a
// retry must repeat to be the same request.
func reused(fp model.Fingerprint) problemResponse {
	head := "The Idempotency-Key was already used for a different request to this operation. A retry must repeat the first request: "
	const tail = " Keys are per operation: the same key sent to another operation is a different key. " +
		"The original result is kept; use a new key for a new request."
	name := "IdempotencyKeyReused"
	switch {
	case len(fp.Only) > 0:
		name += "OfFields"
	case len(fp.Ignore) > 0:
		name += "IgnoringFields"
	case fp.CanonicalJSON:
		name += "CanonicalJSON"
	default:
		head = strings.Replace(head, "request: ", "request exactly: ", 1)
	}
	if len(fp.Headers) > 0 {
		name += "WithHeaders"
	}
	return problemResponse{name, 422, head + fp.Describe() + "." + tail, []contract.Problem{contract.KeyReused}}
}
