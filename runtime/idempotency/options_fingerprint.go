package idempotency

import (
	"net/http"
	"slices"
)

// The options below decide what counts as the same request; the package
// documentation's "What counts as the same request" shows them at work.
// Without any of them the fingerprint is the raw one (method, operation,
// path, query and the body's bytes), exactly as before they existed.

// WithCanonicalJSON fingerprints a JSON body by its canonical form, so
// that a retry whose JSON differs only in member order, insignificant
// whitespace, string escapes or the spelling of a number (1, 1.0, 1e0) is
// the same request. A body counts as JSON by its Content-Type
// (application/json or any +json type) or, without a Content-Type, when
// it parses. A body that is not valid JSON, repeats a member name in some
// object, or is not valid UTF-8 is fingerprinted by its bytes: a retry
// with the same bytes replays, one with other bytes gets 422, never a 500.
//
// Turning it on changes the fingerprint of every request of the operation:
// a retry of a request stored before gets 422 until its record expires.
func WithCanonicalJSON(on bool) Option {
	return func(c *config) {
		c.fp.canonical = on
		c.fp.refresh()
	}
}

// WithFingerprintIgnore leaves out of the fingerprint the values at these
// JSON Pointers (RFC 6901: "/a/b", "/items/0", "/a~1b" for the member
// "a/b", "/a~0b" for "a~b"), for a body field that legitimately changes
// on every retry (a client timestamp, a request id). An ignored member
// counts as absent, an ignored array element keeps its place. It implies
// [WithCanonicalJSON] for JSON bodies; other bodies count by their bytes.
// An invalid pointer (see [ValidPointer]) matches nothing. Each call
// replaces the list; none clears it.
func WithFingerprintIgnore(pointers ...string) Option {
	return func(c *config) {
		c.fp.ignore = pointerSet(pointers)
		c.fp.refresh()
	}
}

// WithFingerprintOnly makes the values at these JSON Pointers the only
// part of a JSON body that counts: a retry that differs anywhere else is
// the same request. A pointer with nothing there counts as absent, which
// differs from a null there. Ignored values ([WithFingerprintIgnore])
// inside them still do not count. It implies [WithCanonicalJSON] for JSON
// bodies; other bodies count by their bytes. An invalid pointer matches
// nothing. Each call replaces the list; none clears it.
func WithFingerprintOnly(pointers ...string) Option {
	return func(c *config) {
		c.fp.only = pointerSet(pointers)
		c.fp.refresh()
	}
}

// WithFingerprintHeaders counts the named request headers (for example
// Content-Type, or an API version header) in the fingerprint: all their
// values, in order, so that a retry with other values gets 422. Headers
// not named never count. Names are canonicalised and their order does not
// matter. Each call replaces the list; none clears it.
func WithFingerprintHeaders(names ...string) Option {
	return func(c *config) {
		hs := make([]string, 0, len(names))
		for _, n := range names {
			hs = append(hs, http.CanonicalHeaderKey(n))
		}
		slices.Sort(hs)
		c.fp.headers = slices.Compact(hs)
		c.fp.refresh()
	}
}

// WithKeyFromBody takes the key from the request body instead of the
// Idempotency-Key header, which is then not read at all (as some APIs do:
// Square's idempotency_key member). In a JSON body (as [WithCanonicalJSON]
// tells one) the key is the string at the JSON Pointer; in an
// application/x-www-form-urlencoded body it is the field named by the
// pointer's last token ("/idempotency_key" reads idempotency_key), as
// r.FormValue would see it. Other bodies carry no key.
//
// The key obeys the header's rules and gets the same problems, with
// details that name the body: none (nothing at the pointer, a body that is
// not valid JSON or no body) is idempotency_key_missing where the key is
// required ([WithKeyRequired]) and runs unguarded otherwise; a value that
// is not a string (null included), is empty, too long, holds a control or
// non-ASCII character, a comma, or appears twice (a repeated member or
// form field) is idempotency_key_invalid. The body is read, up to
// [WithMaxRequestBody] (413 above it), before the key is known.
//
// [Middleware.CheckKey] cannot see such a key and lets every request go
// on. An empty pointer goes back to the header; an invalid one matches
// nothing, so every request has no key.
func WithKeyFromBody(pointer string) Option {
	return func(c *config) {
		if pointer == "" {
			c.bodyKey = nil
			return
		}
		p := parsePointer(pointer)
		c.bodyKey = &p
	}
}
