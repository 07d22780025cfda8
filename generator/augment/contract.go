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

// keyVariant is one distinct (required, TTL) pair among the marked
// operations. A parameter states both, so each pair gets its own
// component; a document whose operations all agree gets one, named
// IdempotencyKey.
type keyVariant struct {
	required bool
	ttl      time.Duration
}

// variantName names a variant's parameter component: IdempotencyKey when
// the document has a single variant, else IdempotencyKey plus "Required"
// for a required key and "TTL<duration>" for a TTL other than 24h, e.g.
// IdempotencyKeyRequiredTTL48h. The default variant keeps the plain name.
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
	return name
}

func keyParameter(v keyVariant, swagger bool) *omap {
	desc := fmt.Sprintf("A unique key, chosen by the client, that makes retrying this request safe. "+
		"The server keeps the result of the first request with a key for %s and answers a retry with the same key "+
		"and the same request with that stored response, marked %s: true, without running the operation again. "+
		"At most %d printable ASCII characters, with no comma unless sent as an RFC 9651 sf-string (\"abc\" is read as abc). "+
		"A retry while the first request still runs gets 409 with Retry-After; the same key with a different request gets 422.",
		model.FormatDuration(v.ttl), ReplayedHeader, contract.MaxKeyLength)
	if v.required {
		desc += " Required: a request without it gets 400."
	} else {
		desc += " Optional: a request without it is processed normally, with no protection against duplicates."
	}
	p := newMap(
		"name", HeaderName,
		"in", "header",
		"required", v.required,
		"description", desc,
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

// replayedHeader is the Idempotency-Replayed header object: a
// components.headers entry in OpenAPI 3, written inline on each response
// in Swagger 2.0, which has no reusable headers and types a header itself.
func replayedHeader(swagger bool) *omap {
	h := newMap(
		"description", "Present, with the value true, when this response is the stored response to an earlier request "+
			"with the same Idempotency-Key, replayed without running the operation again. A replayed response whose body "+
			"was not stored (streamed, or over the size limit) has an empty body and the header Idempotency-Replay: omitted.",
	)
	if swagger {
		h.set("type", "string")
		h.set("enum", []any{"true"})
		return h
	}
	h.set("schema", newMap("type", "string", "enum", []any{"true"}))
	return h
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

var problemResponses = []problemResponse{
	{"IdempotencyKeyInvalid", 400, "The Idempotency-Key header is missing where the operation requires it, or invalid: empty, longer than 256 bytes, a control or non-ASCII character, a list, a malformed sf-string, or repeated.", []contract.Problem{contract.KeyMissing, contract.KeyInvalid}},
	{"IdempotencyKeyInUse", 409, "A request with the same Idempotency-Key is still being processed. Retry after the Retry-After delay with the same key.", []contract.Problem{contract.KeyInUse}},
	{"IdempotencyRequestTooLarge", 413, "The request carries an Idempotency-Key and its body is larger than this operation accepts (by default 1 MiB), so it was not processed.", []contract.Problem{contract.BodyTooLarge}},
	{"IdempotencyKeyReused", 422, "The Idempotency-Key was already used for a different request (method, path, query or body differ). The original result is kept; use a new key for a new request.", []contract.Problem{contract.KeyReused}},
	{"IdempotencyStoreUnavailable", 503, "The idempotency store is unreachable or full, so the request was not processed. Retry after the Retry-After delay with the same key.", []contract.Problem{contract.StoreUnavailable, contract.StoreFull}},
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
