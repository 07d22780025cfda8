package idempotency

import (
	"bytes"
	"math"
	"math/big"
	"slices"
	"strconv"
	"unicode/utf8"
)

// jsonDoc is a request body parsed for the fingerprint rules: a tree of
// nodes in one slice, with decoded strings and canonical numbers in one
// byte slice, so that a pooled doc parses a body without allocating.
//
// It is stricter than encoding/json where leniency would let two
// different requests look alike: invalid UTF-8 and lone surrogate escapes
// (which encoding/json turns into U+FFFD) make the body invalid, and an
// object that repeats a member name is marked (dup), so that the rules
// fall back to the raw bytes rather than guess which member the handler
// reads.
type jsonDoc struct {
	in    []byte
	pos   int
	nodes []jnode
	text  []byte  // decoded strings and member names, canonical numbers
	kids  []int32 // the members of the objects being parsed, as a stack
	dup   bool    // some object repeats a member name
}

type jkind uint8

const (
	jNull jkind = iota
	jFalse
	jTrue
	jNum
	jStr
	jArr
	jObj
)

// jnode is one value. Its children (array elements in order, object
// members sorted by name) are a list through first and next.
type jnode struct {
	kind   jkind
	hidden bool  // its value does not count (WithFingerprintIgnore)
	key    span  // the member name, for a member of an object
	val    span  // jStr: the decoded string; jNum: the canonical number
	first  int32 // first child, or -1
	next   int32 // next sibling, or -1
}

// span is a range of jsonDoc.text, or of jsonDoc.in for a string without
// escapes (raw): its decoded bytes are its bytes in the body, and its
// canonical form is those bytes quoted, so it is neither copied nor
// re-escaped.
type span struct {
	off, end uint32
	raw      bool
}

// maxJSONDepth bounds nesting (arrays and objects in one another) as
// encoding/json does, so that any body it accepts is canonicalised and the
// recursion stays bounded. depth counts the containers around a value.
const maxJSONDepth = 10000

// parse reads in as one JSON value; false when in is not valid JSON (or
// larger than the spans can address). The root is node 0.
func (d *jsonDoc) parse(in []byte) bool {
	d.in, d.pos, d.dup = in, 0, false
	d.nodes, d.text, d.kids = d.nodes[:0], d.text[:0], d.kids[:0]
	if len(in) == 0 || uint64(len(in)) > math.MaxUint32/2 {
		return false
	}
	if d.value(0) < 0 {
		return false
	}
	d.ws()
	return d.pos == len(d.in)
}

// release drops what one large body left, so that it does not stay in
// the pool, and the reference to the body.
func (d *jsonDoc) release() {
	d.in = nil
	if cap(d.nodes) > maxPooledBuf/32 {
		d.nodes = nil
	}
	if cap(d.text) > maxPooledBuf {
		d.text = nil
	}
	if cap(d.kids) > maxPooledBuf/4 {
		d.kids = nil
	}
}

func (d *jsonDoc) ws() {
	for d.pos < len(d.in) {
		switch d.in[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDoc) span(s span) []byte {
	if s.raw {
		return d.in[s.off:s.end]
	}
	return d.text[s.off:s.end]
}

// appendString appends the string s in canonical form.
func (d *jsonDoc) appendString(out []byte, s span) []byte {
	if !s.raw {
		return appendJSONString(out, d.span(s))
	}
	out = append(out, '"')
	out = append(out, d.in[s.off:s.end]...)
	return append(out, '"')
}

// value parses one value and returns its node, or -1.
func (d *jsonDoc) value(depth int) int32 {
	d.ws()
	if d.pos >= len(d.in) {
		return -1
	}
	idx := int32(len(d.nodes))
	d.nodes = append(d.nodes, jnode{first: -1, next: -1})
	ok := false
	switch c := d.in[d.pos]; c {
	case '{':
		ok = d.object(idx, depth)
	case '[':
		ok = d.array(idx, depth)
	case '"':
		var s span
		s, ok = d.str()
		d.nodes[idx].kind, d.nodes[idx].val = jStr, s
	case 't':
		ok = d.literal("true")
		d.nodes[idx].kind = jTrue
	case 'f':
		ok = d.literal("false")
		d.nodes[idx].kind = jFalse
	case 'n':
		ok = d.literal("null")
	default:
		var s span
		s, ok = d.number()
		d.nodes[idx].kind, d.nodes[idx].val = jNum, s
	}
	if !ok {
		return -1
	}
	return idx
}

func (d *jsonDoc) literal(word string) bool {
	if !bytes.HasPrefix(d.in[d.pos:], []byte(word)) {
		return false
	}
	d.pos += len(word)
	return true
}

func (d *jsonDoc) array(idx int32, depth int) bool {
	d.nodes[idx].kind = jArr
	if depth >= maxJSONDepth {
		return false
	}
	d.pos++ // [
	d.ws()
	if d.pos < len(d.in) && d.in[d.pos] == ']' {
		d.pos++
		return true
	}
	last := int32(-1)
	for {
		c := d.value(depth + 1)
		if c < 0 {
			return false
		}
		if last < 0 {
			d.nodes[idx].first = c
		} else {
			d.nodes[last].next = c
		}
		last = c
		d.ws()
		if d.pos >= len(d.in) {
			return false
		}
		switch d.in[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return true
		default:
			return false
		}
	}
}

// object parses the members, then links them sorted by name: by the bytes
// of the UTF-8 names, which is code point order (RFC 8785 sorts by UTF-16
// code units; the two differ only between supplementary characters and
// U+E000..U+FFFF, and this form is only ever hashed, never sent).
func (d *jsonDoc) object(idx int32, depth int) bool {
	d.nodes[idx].kind = jObj
	if depth >= maxJSONDepth {
		return false
	}
	d.pos++ // {
	d.ws()
	if d.pos < len(d.in) && d.in[d.pos] == '}' {
		d.pos++
		return true
	}
	base := len(d.kids)
	for {
		d.ws()
		if d.pos >= len(d.in) || d.in[d.pos] != '"' {
			return false
		}
		name, ok := d.str()
		if !ok {
			return false
		}
		d.ws()
		if d.pos >= len(d.in) || d.in[d.pos] != ':' {
			return false
		}
		d.pos++
		c := d.value(depth + 1) // its own members come and go above base
		if c < 0 {
			return false
		}
		d.nodes[c].key = name
		d.kids = append(d.kids, c)
		d.ws()
		if d.pos >= len(d.in) {
			return false
		}
		if d.in[d.pos] == ',' {
			d.pos++
			continue
		}
		if d.in[d.pos] != '}' {
			return false
		}
		d.pos++
		break
	}
	members := d.kids[base:]
	slices.SortFunc(members, func(a, b int32) int {
		return bytes.Compare(d.span(d.nodes[a].key), d.span(d.nodes[b].key))
	})
	d.nodes[idx].first = members[0]
	for i := 1; i < len(members); i++ {
		prev := &d.nodes[members[i-1]]
		prev.next = members[i]
		if bytes.Equal(d.span(prev.key), d.span(d.nodes[members[i]].key)) {
			d.dup = true
		}
	}
	d.kids = d.kids[:base]
	return true
}

// str reads the string at d.pos (its opening quote): in place when it has
// no escapes, else decoded into d.text.
func (d *jsonDoc) str() (span, bool) {
	d.pos++
	in, start := d.in, d.pos
	for i := start; i < len(in); {
		switch c := in[i]; {
		case c == '"':
			d.pos = i + 1
			return span{uint32(start), uint32(i), true}, true
		case c == '\\':
			d.pos = i
			return d.strEscaped(start)
		case c < 0x20:
			return span{}, false
		case c < 0x80:
			i++
		default:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				return span{}, false
			}
			i += n
		}
	}
	return span{}, false
}

// strEscaped decodes into d.text the string that started at start and
// whose first escape is at d.pos.
func (d *jsonDoc) strEscaped(start int) (span, bool) {
	off := len(d.text)
	in := d.in
	d.text = append(d.text, in[start:d.pos]...)
	for {
		i := d.pos
		for i < len(in) {
			if c := in[i]; c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				break
			}
			i++
		}
		d.text = append(d.text, in[d.pos:i]...)
		d.pos = i
		if i >= len(in) {
			return span{}, false
		}
		switch c := in[i]; {
		case c == '"':
			d.pos++
			return span{off: uint32(off), end: uint32(len(d.text))}, true
		case c < 0x20:
			return span{}, false
		case c >= 0x80:
			r, n := utf8.DecodeRune(in[i:])
			if r == utf8.RuneError && n <= 1 {
				return span{}, false
			}
			d.text = append(d.text, in[i:i+n]...)
			d.pos += n
		default: // backslash
			if !d.escape() {
				return span{}, false
			}
		}
	}
}

// escape decodes the escape at d.pos (its backslash).
func (d *jsonDoc) escape() bool {
	in := d.in
	if d.pos+1 >= len(in) {
		return false
	}
	c := in[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		d.text = append(d.text, c)
	case 'b':
		d.text = append(d.text, '\b')
	case 'f':
		d.text = append(d.text, '\f')
	case 'n':
		d.text = append(d.text, '\n')
	case 'r':
		d.text = append(d.text, '\r')
	case 't':
		d.text = append(d.text, '\t')
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return false
		}
		if r >= 0xDC00 && r <= 0xDFFF {
			return false // a low surrogate alone
		}
		if r >= 0xD800 && r <= 0xDBFF {
			if d.pos+1 >= len(in) || in[d.pos] != '\\' || in[d.pos+1] != 'u' {
				return false
			}
			d.pos += 2
			lo, ok := d.hex4()
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			r = 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00)
		}
		d.text = utf8.AppendRune(d.text, r)
	default:
		return false
	}
	return true
}

func (d *jsonDoc) hex4() (rune, bool) {
	if d.pos+4 > len(d.in) {
		return 0, false
	}
	var r rune
	for _, c := range d.in[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

// number checks the number at d.pos against JSON's grammar and writes its
// canonical form to d.text: the significant digits without leading or
// trailing zeros, then e and the exponent unless it is 0. It is exact,
// with no float rounding: 1, 1.0, 10e-1 and 1e0 are all "1", 1.5 is
// "15e-1", 100 is "1e2", -0 is "0", and 2^64+1 stays itself.
func (d *jsonDoc) number() (span, bool) {
	in, i := d.in, d.pos
	off := len(d.text)
	neg := i < len(in) && in[i] == '-'
	if neg {
		i++
	}
	digitsFrom := func(j int) int {
		for j < len(in) && in[j] >= '0' && in[j] <= '9' {
			j++
		}
		return j
	}
	intStart := i
	switch {
	case i < len(in) && in[i] == '0':
		i++
	case i < len(in) && in[i] >= '1' && in[i] <= '9':
		i = digitsFrom(i)
	default:
		return span{}, false
	}
	intEnd := i
	fracStart, fracEnd := i, i
	if i < len(in) && in[i] == '.' {
		fracStart = i + 1
		if fracEnd = digitsFrom(fracStart); fracEnd == fracStart {
			return span{}, false
		}
		i = fracEnd
	}
	expNeg := false
	expStart, expEnd := i, i
	if i < len(in) && (in[i] == 'e' || in[i] == 'E') {
		i++
		if i < len(in) && (in[i] == '+' || in[i] == '-') {
			expNeg = in[i] == '-'
			i++
		}
		expStart = i
		if expEnd = digitsFrom(i); expEnd == expStart {
			return span{}, false
		}
		i = expEnd
	}
	d.pos = i

	// The value is N × 10^(E − len(frac)), N the integer of all digits.
	if neg {
		d.text = append(d.text, '-')
	}
	start := len(d.text)
	d.text = append(d.text, in[intStart:intEnd]...)
	d.text = append(d.text, in[fracStart:fracEnd]...)
	digits := d.text[start:]
	lead := 0
	for lead < len(digits) && digits[lead] == '0' {
		lead++
	}
	if lead == len(digits) { // zero, whatever its sign and exponent
		d.text = append(d.text[:off], '0')
		return span{off: uint32(off), end: uint32(len(d.text))}, true
	}
	trail := 0
	for digits[len(digits)-1-trail] == '0' {
		trail++
	}
	n := copy(digits, digits[lead:len(digits)-trail])
	d.text = d.text[:start+n]
	d.text = appendExponent(d.text, in[expStart:expEnd], expNeg, int64(trail)-int64(fracEnd-fracStart))
	return span{off: uint32(off), end: uint32(len(d.text))}, true
}

// appendExponent appends "e" and exp+adjust unless that is 0; exp is the
// literal's decimal exponent digits, which may be any length.
func appendExponent(b, exp []byte, neg bool, adjust int64) []byte {
	for len(exp) > 1 && exp[0] == '0' {
		exp = exp[1:]
	}
	if len(exp) <= 15 { // fits in int64 with room for the adjustment
		var e int64
		for _, c := range exp {
			e = e*10 + int64(c-'0')
		}
		if neg {
			e = -e
		}
		if e += adjust; e == 0 {
			return b
		}
		return strconv.AppendInt(append(b, 'e'), e, 10)
	}
	e, _ := new(big.Int).SetString(string(exp), 10)
	if neg {
		e.Neg(e)
	}
	e.Add(e, big.NewInt(adjust)) // never 0: |exp| >= 10^15 > |adjust|
	return e.Append(append(b, 'e'), 10)
}

// hiddenMark stands in the canonical form for an array element whose value
// does not count: the element keeps its place, so the indices of the
// others do not move. It is not JSON, so no value can look like it.
const hiddenMark = '?'

// appendCanonical appends node idx in canonical form: no insignificant
// whitespace, members sorted, strings and numbers in their canonical form,
// hidden members left out.
func (d *jsonDoc) appendCanonical(out []byte, idx int32) []byte {
	n := &d.nodes[idx]
	if n.hidden {
		return append(out, hiddenMark)
	}
	switch n.kind {
	case jNull:
		return append(out, "null"...)
	case jFalse:
		return append(out, "false"...)
	case jTrue:
		return append(out, "true"...)
	case jNum:
		return append(out, d.span(n.val)...)
	case jStr:
		return d.appendString(out, n.val)
	case jArr:
		out = append(out, '[')
		for c := n.first; c >= 0; c = d.nodes[c].next {
			if c != n.first {
				out = append(out, ',')
			}
			out = d.appendCanonical(out, c)
		}
		return append(out, ']')
	default:
		out = append(out, '{')
		comma := false
		for c := n.first; c >= 0; c = d.nodes[c].next {
			if d.nodes[c].hidden {
				continue // an ignored member counts as absent
			}
			if comma {
				out = append(out, ',')
			}
			comma = true
			out = d.appendString(out, d.nodes[c].key)
			out = append(out, ':')
			out = d.appendCanonical(out, c)
		}
		return append(out, '}')
	}
}

// appendJSONString quotes s as RFC 8785 does: only the quote, the
// backslash and control characters are escaped (\b \t \n \f \r, else
// \u00xx), everything else is written as its UTF-8.
func appendJSONString(out, s []byte) []byte {
	const hex = "0123456789abcdef"
	out = append(out, '"')
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\' {
			i++
		}
		out = append(out, s[:i]...) // a run that needs no escape
		if i == len(s) {
			break
		}
		switch c := s[i]; c {
		case '"', '\\':
			out = append(out, '\\', c)
		case '\b':
			out = append(out, '\\', 'b')
		case '\t':
			out = append(out, '\\', 't')
		case '\n':
			out = append(out, '\\', 'n')
		case '\f':
			out = append(out, '\\', 'f')
		case '\r':
			out = append(out, '\\', 'r')
		default:
			out = append(out, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		s = s[i+1:]
	}
	return append(out, '"')
}

// canonicalJSON returns the canonical form of in, and false when in is not
// valid JSON or repeats a member name in some object: such a body is
// fingerprinted as its bytes.
func canonicalJSON(in []byte) ([]byte, bool) {
	var d jsonDoc
	if !d.parse(in) || d.dup {
		return nil, false
	}
	return d.appendCanonical(nil, 0), true
}
