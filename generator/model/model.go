// Package model holds what idemgen knows about a specification once it is
// loaded: the operations marked x-idempotent and their policies. It is pure
// data, built by package load and read by every renderer. Nothing here does
// I/O, and nothing mutates a Model after it is built.
package model

import (
	"fmt"
	"strings"
	"time"
)

// Model is the sorted list of idempotent operations of one document.
type Model struct {
	// Source is the specification's path as given to idemgen.
	Source string
	// Format is "yaml" or "json", as the root document was written.
	Format string
	// Title and Version come from the document's info object.
	Title, Version string
	// Operations are sorted by Path, then Method.
	Operations []Operation
	// BasePaths are the path parts of the document's servers URLs ("/v1"
	// for https://api.example.com/v1), without "/" and duplicates: the
	// prefixes the route table is mounted under. gocode.Resolve sets them.
	BasePaths []string
	// RouteTableOnly reports that oapi-codegen generates no ServerInterface
	// (its configuration has no server target), so that the Go file holds
	// the route table alone. gocode.Resolve sets it.
	RouteTableOnly bool
	// Framework is the web framework of the ServerInterface oapi-codegen
	// generates, whose methods IdempotentServer overrides: "" for a net/http
	// server (std-http, chi, gorilla), else "echo", "echo5", "gin",
	// "fiber", "fiber3" or "iris". gocode.Resolve sets it.
	Framework string
	// ClientType names the client type oapi-codegen generates (its
	// client-type-name, "Client" by default), whose ClientOption the Go
	// file offers for idemclient's retries; empty when the configuration
	// generates no client. gocode.Resolve sets it.
	ClientType string
}

// Operation is one operation marked x-idempotent.
type Operation struct {
	Method      string // upper case: POST, PUT, PATCH, DELETE
	Path        string // as written under paths, e.g. /payments/{id}
	OperationID string // as written; empty when the spec gives none
	// GoName is oapi-codegen's name for the ServerInterface method.
	GoName string
	// GoParams are the arguments the ServerInterface method takes after
	// (w http.ResponseWriter, r *http.Request), in order.
	GoParams []GoParam
	Policy   Policy
	// Origin is where the x-idempotent marker stands.
	Origin Origin
	// DeclaresKeyHeader reports that the operation already declares an
	// Idempotency-Key header parameter (in any letter case).
	DeclaresKeyHeader bool
	// BindsKey reports that oapi-codegen's handler for the operation binds
	// an Idempotency-Key header parameter itself: the server is generated
	// from a document that declares one (the augmented spec, or a spec
	// that declares its own). That handler answers a missing or repeated
	// key in its own words before IdempotentServer sees the request, so
	// the key must be checked in front of it. gocode.Resolve sets it.
	BindsKey bool
}

// Route is the operation's key in route tables: "POST /payments/{id}".
func (o Operation) Route() string { return o.Method + " " + o.Path }

// GoParam is one ServerInterface argument, as oapi-codegen writes it.
type GoParam struct {
	Name string // e.g. id, params
	Type string // Go source, e.g. openapi_types.UUID, int64, CreatePaymentParams
	// Import is the import spec Type needs when it names a package other
	// than openapi_types, time or json (from x-go-type-import or the
	// type-mapping of oapi-codegen's config), as Go source: `"net/netip"`
	// or `dec "github.com/shopspring/decimal"`. Empty when none is needed.
	Import string
}

// Policy is an operation's idempotency policy, decoded from x-idempotent.
// The zero value of every optional field means "the runtime's default".
type Policy struct {
	// Required: a request without Idempotency-Key gets 400.
	Required bool
	// TTL is how long a result is kept and replayed.
	TTL time.Duration
	// ScopeHeaders name request headers whose values scope a key to a
	// caller (for example Authorization), so that callers never share keys.
	ScopeHeaders []string
	// StoreServerErrors keeps 5xx responses too (by default they are not
	// stored, so a retry runs the handler again).
	StoreServerErrors bool
	// MaxRequestBytes caps the request body; a larger one gets 413.
	MaxRequestBytes int64
	// MaxResponseBytes caps the stored body; a larger response is sent in
	// full but replayed without its body.
	MaxResponseBytes int64
	// Wait makes a retry that arrives while the first request runs wait up
	// to this long for its result instead of getting 409 at once.
	Wait time.Duration
	// Transaction completes the key in the database transaction that holds
	// the handler's writes (idempotency.WithTransaction): they commit
	// together or not at all, and the client gets the response only after
	// the commit. It needs a store that implements idempotency.TxStore.
	Transaction bool
	// EchoKey sends the request's Idempotency-Key back in the response
	// (idempotency.WithEchoKey), and StripeReplayed marks replays with
	// Stripe's Idempotent-Replayed too (idempotency.WithStripeReplayed):
	// Stripe's dialect, for clients written against Stripe's API.
	EchoKey, StripeReplayed bool
	// Fingerprint says what of a request counts when a retry is compared
	// with the first one; the zero value is every byte of the body.
	Fingerprint Fingerprint
	// Key says where the key is carried; the zero value is the
	// Idempotency-Key header.
	Key KeySource
}

// Fingerprint is x-idempotent.fingerprint.
type Fingerprint struct {
	// CanonicalJSON compares JSON bodies as JSON values: key order,
	// insignificant whitespace and number spelling do not count.
	CanonicalJSON bool
	// Ignore are JSON Pointers whose values do not count; Only, those
	// that alone count. At most one of the two is set.
	Ignore, Only []string
	// Headers are request headers whose values count.
	Headers []string
}

// IsZero reports the default: the raw body, no header.
func (f Fingerprint) IsZero() bool {
	return !f.CanonicalJSON && len(f.Ignore) == 0 && len(f.Only) == 0 && len(f.Headers) == 0
}

// Describe says what a retry must repeat to be the same request under f,
// in one sentence without its final stop, for the published contract.
func (f Fingerprint) Describe() string {
	var what string
	switch {
	case len(f.Only) > 0:
		what = "the method, the path and the query string are compared byte for byte, and of a JSON body only the values at " +
			strings.Join(f.Only, ", ") + " (JSON Pointers), as JSON values: the rest of the body does not count (a body that is not valid JSON is compared byte for byte)"
	case len(f.Ignore) > 0:
		what = "the method, the path and the query string are compared byte for byte, and a JSON body as a JSON value (member order, insignificant whitespace and the spelling of numbers do not count) " +
			"without the values at " + strings.Join(f.Ignore, ", ") + " (JSON Pointers), which do not count (a body that is not valid JSON is compared byte for byte)"
	case f.CanonicalJSON:
		what = "the method, the path and the query string are compared byte for byte, and a JSON body as a JSON value: member order, insignificant whitespace and the spelling of numbers do not count " +
			"(a body that is not valid JSON is compared byte for byte)"
	default:
		what = "the method, the path, the query string and the body are compared byte for byte (reordered query parameters or JSON members make a different request)"
	}
	if len(f.Headers) > 0 {
		return what + "; so are the headers " + strings.Join(f.Headers, ", ") + ", and no other header"
	}
	return what + "; headers are not compared"
}

// KeySource is x-idempotent.key.
type KeySource struct {
	// InBody takes the key from the request body at Pointer (a JSON
	// member, or the form field named by its last segment) instead of the
	// Idempotency-Key header.
	InBody  bool
	Pointer string
}

// DefaultPolicy is what `x-idempotent: true` means.
var DefaultPolicy = Policy{TTL: 24 * time.Hour}

// Origin is a position in a specification file.
type Origin struct {
	File         string
	Line, Column int
}

// String formats the origin as file:line:col, the prefix of every diagnostic.
func (o Origin) String() string {
	switch {
	case o.Line == 0:
		return o.File
	case o.Column == 0:
		return fmt.Sprintf("%s:%d", o.File, o.Line)
	}
	return fmt.Sprintf("%s:%d:%d", o.File, o.Line, o.Column)
}

// FormatDuration writes a duration as the docs and comments show it: 24h,
// 1h30m, 90s, 1.5s, rather than time.Duration's 24h0m0s.
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
