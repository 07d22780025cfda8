package idempotency

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// pointer is an RFC 6901 JSON Pointer, parsed once when the option is
// applied. Options have no error path, so an invalid one is kept with
// ok false and matches nothing; [ValidPointer] lets the generator refuse
// it when it reads the spec.
type pointer struct {
	text string
	toks []string // unescaped reference tokens; none for "", the whole document
	ok   bool
}

var (
	errPointerStart  = errors.New(`idempotency: a JSON Pointer is "" or starts with "/"`)
	errPointerEscape = errors.New(`idempotency: a JSON Pointer has "~" not followed by 0 or 1`)
	errPointerUTF8   = errors.New("idempotency: a JSON Pointer is not valid UTF-8")
)

// ValidPointer reports whether p is a JSON Pointer (RFC 6901) that the
// fingerprint and key options accept: "" (the whole document) or "/"
// followed by reference tokens, in which "~" appears only as "~0" (a
// tilde) or "~1" (a slash). The options treat an invalid pointer as one
// that matches nothing; the generator calls ValidPointer to refuse it in
// the spec instead.
func ValidPointer(p string) error {
	_, err := parsePointerToks(p)
	return err
}

func parsePointer(p string) pointer {
	toks, err := parsePointerToks(p)
	return pointer{text: p, toks: toks, ok: err == nil}
}

func parsePointerToks(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, errPointerStart
	}
	if !utf8.ValidString(p) {
		return nil, errPointerUTF8
	}
	parts := strings.Split(p[1:], "/")
	for i, t := range parts {
		for j := 0; j < len(t); j++ {
			if t[j] != '~' {
				continue
			}
			if j+1 == len(t) || (t[j+1] != '0' && t[j+1] != '1') {
				return nil, errPointerEscape
			}
			j++
		}
		// ~1 first, so that "~01" is "~1" and not "/".
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// last is the pointer's last reference token, the field name a form body
// is searched for; false for the whole document or an invalid pointer.
func (p *pointer) last() (string, bool) {
	if !p.ok || len(p.toks) == 0 {
		return "", false
	}
	return p.toks[len(p.toks)-1], true
}

// lookup is where p points in d. found is false when nothing is there (or
// p is invalid); repeated when an object on the way names the member
// twice; hidden when a value on the way does not count.
func (d *jsonDoc) lookup(p *pointer) (idx int32, found, repeated, hidden bool) {
	if !p.ok {
		return -1, false, false, false
	}
	idx = 0
	hidden = d.nodes[0].hidden
	for _, tok := range p.toks {
		n := &d.nodes[idx]
		next := int32(-1)
		switch n.kind {
		case jObj:
		members:
			for c := n.first; c >= 0; c = d.nodes[c].next {
				switch name := d.span(d.nodes[c].key); {
				case string(name) == tok:
					if next >= 0 {
						return c, true, true, hidden
					}
					next = c
				case string(name) > tok:
					break members // sorted: no later member matches
				}
			}
		case jArr:
			i, ok := arrayIndex(tok)
			if !ok {
				return -1, false, false, hidden
			}
			for c := n.first; c >= 0; c = d.nodes[c].next {
				if i == 0 {
					next = c
					break
				}
				i--
			}
		}
		if next < 0 {
			return -1, false, false, hidden
		}
		idx = next
		hidden = hidden || d.nodes[idx].hidden
	}
	return idx, true, false, hidden
}

// arrayIndex parses an RFC 6901 array index: 0, or digits without a
// leading zero. "-" (past the end) and anything else index nothing.
func arrayIndex(tok string) (int, bool) {
	if tok == "" || len(tok) > 9 || (tok[0] == '0' && len(tok) > 1) {
		return 0, false
	}
	i := 0
	for j := 0; j < len(tok); j++ {
		c := tok[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	return i, true
}
