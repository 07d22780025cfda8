package idempotency

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The route table's matching, as NewRouter documents it. It errs on the
// side of guarding: a request the application routes elsewhere but the
// table guards costs little (its key is scoped to the route, its
// fingerprint to its own path), while a marked operation reached unguarded
// runs every retry again. Paths are split into segment lists held on the
// stack, so a match allocates nothing unless the path is percent-encoded.

// stackSegs is how many segments a path may have before its list spills to
// the heap.
const stackSegs = 16

// tseg is one segment of a path template.
type tseg struct {
	s     string // a literal, unescaped; a parameter as written
	param bool
}

// template is a route's path template, or a base path, split for matching:
// the segments after the leading "/", without a trailing "" or {$} (a
// route "/payments" and "/payments/" are one and the same).
type template struct {
	segs []tseg
	lits int  // literal segments: the more, the more specific
	rest bool // the last segment is {name...} or chi's *: it takes the rest
}

// specificity ranks templates: the more literal segments, then the more
// segments, the more specific.
func (t *template) specificity() int { return t.lits<<16 + len(t.segs) }

func compileTemplate(p string) template {
	var t template
	for _, s := range trimEnd(splitSegs(nil, p)) {
		if isParamSeg(s) {
			t.segs = append(t.segs, tseg{s: s, param: true})
			continue
		}
		if strings.IndexByte(s, '%') >= 0 {
			s = string(unescapeSeg(nil, s)) // as segEqual decodes a request's
		}
		t.segs = append(t.segs, tseg{s: s})
		t.lits++
	}
	if n := len(t.segs); n > 0 {
		last := t.segs[n-1].s
		t.rest = t.segs[n-1].param && (strings.HasSuffix(last, "...}") || last == "*")
	}
	return t
}

// compileBase turns a WithBasePath prefix (a path, or a servers URL whose
// path is taken) into a template; ok is false for the root, which is no
// prefix at all.
func compileBase(p string) (t template, ok bool) {
	p = strings.TrimSpace(p)
	if i := strings.Index(p, "://"); i >= 0 {
		p = p[i+3:]
		if j := strings.IndexByte(p, '/'); j >= 0 {
			p = p[j:]
		} else {
			p = ""
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	t = compileTemplate(p)
	return t, len(t.segs) > 0
}

// isParamSeg reports a parameter segment: {name}, {name...}, chi's
// {name:regexp}, or chi's trailing *.
func isParamSeg(s string) bool {
	return s == "*" || len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}'
}

// splitSegs appends the segments of p after its leading "/" to dst,
// without a trailing empty one: "/a/b/" gives [a b], "/" none.
func splitSegs(dst []string, p string) []string {
	p = strings.TrimPrefix(p, "/")
	for p != "" {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return append(dst, p)
		}
		dst = append(dst, p[:i])
		p = p[i+1:]
	}
	return dst
}

// trimEnd drops a trailing {$}, ServeMux's "ends here".
func trimEnd(segs []string) []string {
	if n := len(segs); n > 0 && segs[n-1] == "{$}" {
		return segs[:n-1]
	}
	return segs
}

// isClean reports a segment list without "", "." or "..": one that
// path.Clean (chi's CleanPath) leaves as it is.
func isClean(segs []string) bool {
	for _, s := range segs {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

// cleanSegs appends segs to dst as path.Clean resolves them.
func cleanSegs(dst, segs []string) []string {
	for _, s := range segs {
		switch s {
		case "", ".":
		case "..":
			if len(dst) > 0 {
				dst = dst[:len(dst)-1]
			}
		default:
			dst = append(dst, s)
		}
	}
	return dst
}

// matchAt matches the template against the whole of segs: a literal
// matches its segment however it is escaped or cased, a parameter any
// segment (an empty one only turns up in a path not yet cleaned, which a
// router may still route), a rest parameter whatever is left.
func (t *template) matchAt(segs []string, esc bool) bool {
	n := len(t.segs)
	if t.rest {
		if len(segs) < n-1 {
			return false
		}
		n--
	} else if len(segs) != n {
		return false
	}
	for i := range n {
		if s := &t.segs[i]; !s.param && !segEqual(s.s, segs[i], esc) {
			return false
		}
	}
	return true
}

// matchSuffix matches the template against the end of segs, after at least
// one segment of an unknown mount prefix. A template of parameters only
// would match nearly every path, so it never matches this way.
func (t *template) matchSuffix(segs []string, esc bool) bool {
	if t.lits == 0 {
		return false
	}
	if !t.rest {
		n := len(t.segs)
		return len(segs) > n && t.matchAt(segs[len(segs)-n:], esc)
	}
	for off := 1; off+len(t.segs)-1 <= len(segs); off++ {
		if t.matchAt(segs[off:], esc) {
			return true
		}
	}
	return false
}

// hasPrefix reports whether segs begins with the base path t.
func (t *template) hasPrefix(segs []string, esc bool) bool {
	if len(segs) < len(t.segs) {
		return false
	}
	for i := range t.segs {
		if s := &t.segs[i]; !s.param && !segEqual(s.s, segs[i], esc) || s.param && segs[i] == "" {
			return false
		}
	}
	return true
}

// matchPattern matches the template against the end of a mux's pattern
// (ServeMux or chi): parameter meets parameter, whatever its name or
// regexp, and literal meets literal; a base URL before it is allowed.
func (t *template) matchPattern(pat []string, esc bool) bool {
	off := len(pat) - len(t.segs)
	if off < 0 {
		return false
	}
	for i := range t.segs {
		s, p := &t.segs[i], pat[off+i]
		if s.param != isParamSeg(p) || !s.param && !segEqual(s.s, p, esc) {
			return false
		}
	}
	return true
}

// patternFinal reports whether a mux pattern names one operation rather
// than a mount point: a subtree ("/api/"), {rest...} or chi's * hands the
// rest of the path to another router.
func patternFinal(p string) bool {
	return !strings.HasSuffix(p, "/") && !strings.HasSuffix(p, "...}") && !strings.HasSuffix(p, "*")
}

// segEqual compares a literal with a request segment, percent-decoding the
// segment (as ServeMux does) and ignoring letter case. esc reports that
// the path the segment comes from has a '%' at all: most have none, and
// they need no search for one in every segment.
func segEqual(lit, seg string, esc bool) bool {
	if lit == seg {
		return true
	}
	if !esc || strings.IndexByte(seg, '%') < 0 {
		return strings.EqualFold(lit, seg)
	}
	var buf [64]byte
	return equalFoldBytes(lit, unescapeSeg(buf[:0], seg))
}

// unescapeSeg appends seg to dst with each valid %XX decoded; a '%' that
// starts no valid escape stays as it is.
func unescapeSeg(dst []byte, seg string) []byte {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if c == '%' && i+2 < len(seg) && ishex(seg[i+1]) && ishex(seg[i+2]) {
			dst = append(dst, unhex(seg[i+1])<<4|unhex(seg[i+2]))
			i += 2
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// equalFoldBytes is strings.EqualFold for a string and a byte slice.
func equalFoldBytes(s string, b []byte) bool {
	for s != "" && len(b) > 0 {
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRune(b)
		s, b = s[n1:], b[n2:]
		if r1 != r2 && !foldsTo(r1, r2) {
			return false
		}
	}
	return s == "" && len(b) == 0
}

// foldsTo reports whether b is in a's case-folding orbit.
func foldsTo(a, b rune) bool {
	for r := unicode.SimpleFold(a); r != a; r = unicode.SimpleFold(r) {
		if r == b {
			return true
		}
	}
	return false
}
