package idempotency

import (
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/idemgen/idemgen/internal/contract"
)

// storableHeader clones h without what must never be replayed: hop-by-hop
// headers (and those named by Connection), Date, trailers, the middleware's
// own replay markers, and Set-Cookie unless cookies is set. Like
// http.Header.Clone it shares one backing array among all values.
func storableHeader(h http.Header, cookies bool) http.Header {
	n, nv := 0, 0
	for k, vs := range h {
		if !skipHeader(k, cookies) {
			n++
			nv += len(vs)
		}
	}
	out := make(http.Header, n)
	all := make([]string, 0, nv)
	conn := h["Connection"]
	for k, vs := range h {
		if skipHeader(k, cookies) || (len(conn) > 0 && namedByConnection(conn, k)) {
			continue
		}
		all = append(all, vs...)
		out[k] = all[len(all)-len(vs) : len(all) : len(all)]
	}
	return out
}

// headerCache keeps the header snapshot last stored by one middleware.
// An operation usually answers with the same headers every time, so its
// records share one map, never modified once cached, instead of a clone
// each: fewer allocations and less memory per stored response.
type headerCache struct {
	last atomic.Pointer[http.Header]
}

// snapshot returns the storable part of h: the cached map when it matches,
// else a fresh clone, which becomes the cached one. Either way the result
// must be treated as immutable. A nil cache always clones.
func (c *headerCache) snapshot(h http.Header, cookies bool) http.Header {
	if c == nil {
		return storableHeader(h, cookies)
	}
	if last := c.last.Load(); last != nil && sameStorable(h, *last, cookies) {
		return *last
	}
	snap := storableHeader(h, cookies)
	if len(h["Connection"]) == 0 {
		c.last.Store(&snap)
	}
	return snap
}

// sameStorable reports whether storableHeader(h, cookies) would equal last.
func sameStorable(h, last http.Header, cookies bool) bool {
	if len(h["Connection"]) > 0 {
		return false
	}
	n := 0
	for k, vs := range h {
		if skipHeader(k, cookies) {
			continue
		}
		lv, ok := last[k]
		if !ok || !slices.Equal(lv, vs) {
			return false
		}
		n++
	}
	return n == len(last)
}

// skipHeader reports headers that are never stored or replayed.
func skipHeader(k string, cookies bool) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Date", HeaderIdempotencyReplayed, headerReplay, headerStripeReplayed:
		return true
	case "Set-Cookie":
		return !cookies
	}
	return strings.HasPrefix(k, http.TrailerPrefix)
}

// namedByConnection reports whether the Connection header lists k as a
// hop-by-hop header of its own.
func namedByConnection(conn []string, k string) bool {
	for _, v := range conn {
		for _, f := range strings.Split(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(f)) == k {
				return true
			}
		}
	}
	return false
}

// headerReplay marks a replay whose body was not stored.
const headerReplay = contract.HeaderReplay

// headerStripeReplayed is Stripe's name for HeaderIdempotencyReplayed.
const headerStripeReplayed = contract.HeaderStripeReplayed
