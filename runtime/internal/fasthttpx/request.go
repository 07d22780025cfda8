package fasthttpx

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// Request builds the *http.Request the core reads from fr, the fasthttp
// request, with method, the remote address addr and the context ctx (the
// handler's user context, which the core hands on to the handler with the
// key's Info). Its strings are cut from one string (one allocation):
// fasthttp reuses its buffers after the request, and the core hands some of
// these strings on (the key to the handler's Info and to observers), so
// they must be copies. The header map and its values' array are x's.
func (x *Exchange) Request(ctx context.Context, fr *fasthttp.Request, method string, addr net.Addr) *http.Request {
	uri := fr.URI()
	b := append(x.buf[:0], method...)
	nMethod := len(b)
	b = append(b, uri.PathOriginal()...) // escaped, as sent
	nPath := len(b)
	b = append(b, uri.QueryString()...)
	nQuery := len(b)
	b = append(b, fr.Host()...)
	nHost := len(b)
	b = appendAddr(b, addr)
	nAddr := len(b)
	b = append(b, fr.Header.RequestURI()...)
	nURI := len(b)
	x.buf = b
	x.ends = x.ends[:0]
	fr.Header.VisitAll(x.addRequestHeader)
	s := string(x.buf)

	x.u = url.URL{Path: s[nMethod:nPath], RawQuery: s[nPath:nQuery]}
	if p := x.u.Path; strings.IndexByte(p, '%') >= 0 {
		// As url.Parse does: Path decoded, RawPath the escaped form, so
		// that EscapedPath (the fingerprint's) keeps an encoded slash.
		if dec, err := url.PathUnescape(p); err == nil {
			x.u.Path, x.u.RawPath = dec, p
		}
	}
	x.hdr = fillHeader(x.hdr, &x.vals, s, nURI, x.ends)

	req := http.Request{
		Method:     s[:nMethod],
		URL:        &x.u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     x.hdr,
		Body:       http.NoBody,
		Host:       s[nQuery:nHost],
		RemoteAddr: s[nHost:nAddr],
		RequestURI: s[nAddr:nURI],
	}
	if !fr.Header.IsHTTP11() {
		req.Proto, req.ProtoMinor = "HTTP/1.0", 0
	}
	// The raw body: not fiber's c.Body(), which decodes a Content-Encoding
	// (a copy, or an error's text for a bad encoding), nor a copy under
	// Immutable. Reading it does not consume it: the handler reads it again.
	if body := fr.Body(); len(body) > 0 {
		x.body.Reset(body)
		req.Body, req.ContentLength = &x.body, int64(len(body))
	}
	return req.WithContext(ctx)
}

// addRequestHeader is fasthttp's visitor for the request headers. Host
// is left out, as net/http leaves it out of Request.Header.
func (x *Exchange) addRequestHeader(k, v []byte) {
	if string(k) == fasthttp.HeaderHost {
		return
	}
	x.appendHeader(k, v)
}

// appendHeader appends one header line to x.buf, its key in canonical form.
func (x *Exchange) appendHeader(k, v []byte) {
	x.buf = append(x.buf, k...)
	canonicalKey(x.buf[len(x.buf)-len(k):])
	x.ends = append(x.ends, len(x.buf))
	x.buf = append(x.buf, v...)
	x.ends = append(x.ends, len(x.buf))
}

// fillHeader adds to h the header lines whose keys and values end at ends
// in s, from offset start on. The values share one backing array, *vals,
// grown as needed; a repeated key gets a slice of its own.
func fillHeader(h http.Header, vals *[]string, s string, start int, ends []int) http.Header {
	n := len(ends) / 2
	if h == nil {
		h = make(http.Header, n)
	}
	vs := *vals
	if cap(vs)-len(vs) < n {
		vs = make([]string, len(vs), len(vs)+n)
	}
	for i := 0; i < len(ends); i += 2 {
		k, v := s[start:ends[i]], s[ends[i]:ends[i+1]]
		start = ends[i+1]
		vs = append(vs, v)
		if old, ok := h[k]; ok {
			h[k] = append(old, v) // old is capped: this copies
		} else {
			h[k] = vs[len(vs)-1 : len(vs) : len(vs)]
		}
	}
	*vals = vs
	return h
}

// canonicalKey puts a header name into the canonical form net/http uses
// ("idempotency-key" becomes "Idempotency-Key"), in place. fasthttp does
// the same unless the app sets DisableHeaderNormalizing; without this, the
// core would not find the key there, and the request would run unguarded.
// A name with a byte outside the token set stays as it is, as in textproto.
func canonicalKey(k []byte) {
	for _, c := range k {
		if !tokenChar[c] {
			return
		}
	}
	upper := true
	for i, c := range k {
		switch {
		case upper && 'a' <= c && c <= 'z':
			k[i] = c - ('a' - 'A')
		case !upper && 'A' <= c && c <= 'Z':
			k[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
}

// tokenChar marks the RFC 9110 token characters: a table, since every
// byte of every header name is looked up.
var tokenChar = func() (t [256]bool) {
	for _, c := range "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" {
		t[c] = true
	}
	return t
}()

// appendAddr appends a as net.Addr.String would, without its allocation
// for the usual TCP address.
func appendAddr(b []byte, a net.Addr) []byte {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).AppendTo(b)
	}
	return append(b, a.String()...)
}

// bodyReader reads the fasthttp request body without consuming it.
type bodyReader struct{ bytes.Reader }

// Close does nothing: the body belongs to fasthttp.
func (*bodyReader) Close() error { return nil }
