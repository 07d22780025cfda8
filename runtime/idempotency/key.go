package idempotency

import (
	"net/http"

	"github.com/idemgen/idemgen/internal/contract"
)

// keyError is why a request's Idempotency-Key header was refused; its
// details are the published contract's. Each value has its own
// precomputed problem body, so the reject path does not format anything.
type keyError = contract.KeyError

const (
	keyOK        = contract.KeyOK
	keyEmpty     = contract.KeyEmpty
	keyTooLong   = contract.KeyTooLong
	keyControl   = contract.KeyControl
	keyNonASCII  = contract.KeyNonASCII
	keyList      = contract.KeyList
	keyRepeated  = contract.KeyRepeated
	keyBadString = contract.KeyBadString
)

// maxRawKey bounds the header value before any scan: an sf-string of
// MaxKeyLength characters, every one escaped, plus its quotes. Anything
// longer is refused without reading it, so a 10 KB key costs nothing.
const maxRawKey = 2*MaxKeyLength + 2

// requestKey extracts the key from the request headers. present is false
// when the header is absent; err is keyOK when the key is usable.
func requestKey(h http.Header) (key string, present bool, err keyError) {
	// Direct map access: Header.Get would canonicalise the name each call.
	vs, ok := h[HeaderIdempotencyKey]
	if !ok || len(vs) == 0 {
		return "", false, keyOK
	}
	if len(vs) > 1 {
		return "", true, keyRepeated
	}
	key, err = parseKey(vs[0])
	return key, true, err
}

// parseKey validates one header value and returns the key it carries. It
// accepts a bare key of printable ASCII without commas, or an RFC 9651
// sf-string ("abc" is the key abc, with \" and \\ as the only escapes).
// Surrounding spaces and tabs are ignored, as in any HTTP field value.
func parseKey(v string) (string, keyError) {
	if len(v) > maxRawKey+64 {
		return "", keyTooLong
	}
	v = trimOWS(v)
	if v == "" {
		return "", keyEmpty
	}
	if v[0] == '"' {
		return parseSFString(v)
	}
	if len(v) > MaxKeyLength {
		return "", keyTooLong
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ',':
			return "", keyList
		case c < 0x20 || c == 0x7f:
			return "", keyControl
		case c >= 0x80:
			return "", keyNonASCII
		}
	}
	return v, keyOK
}

// parseSFString decodes an sf-string (RFC 9651 §3.3.3) that must make up
// the whole value. A second member after a comma is a list.
func parseSFString(v string) (string, keyError) {
	if len(v) > maxRawKey {
		return "", keyTooLong
	}
	// Fast path: no escapes, so the key is a substring and needs no copy.
	end := -1
	escaped := false
	for i := 1; i < len(v); i++ {
		c := v[i]
		if c == '\\' {
			escaped = true
			break
		}
		if c == '"' {
			end = i
			break
		}
		if e := sfChar(c); e != keyOK {
			return "", e
		}
	}
	if !escaped {
		if end < 0 {
			return "", keyBadString
		}
		return finishSF(v[1:end], v[end+1:])
	}
	buf := make([]byte, 0, len(v))
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			i++
			if i == len(v) || (v[i] != '"' && v[i] != '\\') {
				return "", keyBadString
			}
			buf = append(buf, v[i])
		case c == '"':
			return finishSF(string(buf), v[i+1:])
		default:
			if e := sfChar(c); e != keyOK {
				return "", e
			}
			buf = append(buf, c)
		}
	}
	return "", keyBadString
}

// finishSF checks what follows the closing quote and the decoded key.
func finishSF(key, rest string) (string, keyError) {
	rest = trimOWS(rest)
	if rest != "" {
		if rest[0] == ',' {
			return "", keyList
		}
		// Parameters (";a=1") or junk: not a bare sf-string.
		return "", keyBadString
	}
	if key == "" {
		return "", keyEmpty
	}
	if len(key) > MaxKeyLength {
		return "", keyTooLong
	}
	return key, keyOK
}

// sfChar classifies an unescaped byte inside an sf-string.
func sfChar(c byte) keyError {
	switch {
	case c < 0x20 || c == 0x7f:
		return keyControl
	case c >= 0x80:
		return keyNonASCII
	}
	return keyOK
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
