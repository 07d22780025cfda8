// Package seedheader converts headers between the two records of the
// idempotency runtime: a ClaimStore's idempotency.Record, which keeps every
// value (http.Header), and the seed Store's idempotency.CachedResponse,
// which keeps one value per name.
//
// It is the one home of that rule, so that the seed Get of every store in
// this module (MemoryStore, redisstore, pgstore) and the seed adapter
// return the same map for the same response. It is internal so that the
// public API gains nothing for it; the rule itself is documented on
// idempotency.CachedResponse.
package seedheader

import (
	"net/http"
	"strings"
)

// Flatten makes the single-valued map of a CachedResponse: repeated values
// are joined with ", " (RFC 9110's list form), except Set-Cookie, which
// keeps its first value only (RFC 9110 §5.3: cookies cannot be joined).
// Names without a value are left out. The result is never nil, so a
// caller may add entries to it.
func Flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, vs := range h {
		switch {
		case len(vs) == 0:
		case len(vs) == 1 || k == "Set-Cookie":
			out[k] = vs[0]
		default:
			out[k] = strings.Join(vs, ", ")
		}
	}
	return out
}

// Expand makes a Record's header of a CachedResponse's map: one value per
// name, as the seed record holds it. A nil map gives a nil header.
func Expand(m map[string]string) http.Header {
	if m == nil {
		return nil
	}
	h := make(http.Header, len(m))
	for k, v := range m {
		h[k] = []string{v}
	}
	return h
}
