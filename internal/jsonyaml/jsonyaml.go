// Package jsonyaml reads a JSON document straight into the node tree
// that go.yaml.in/yaml/v4 builds for it, about ten times faster than the
// YAML parser, or declines it:
//
//	if doc, ok := jsonyaml.Parse(src); ok { ... } else { yaml.Unmarshal(src, &doc) }
//
// generator/augment reads its input and output with it, and
// generator/load the root file it finds positions in.
package jsonyaml

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// Parse reads a JSON document into the node tree that yaml.Unmarshal
// builds for it (a JSON text is a YAML flow document), about ten times
// faster: on a large JSON document the YAML parser was most of a run, and
// the augmented spec reads its input and its output. ok is false for
// anything it does not read exactly as YAML would, from a syntax error to
// a character YAML refuses or breaks lines on, so that the caller falls
// back to YAML and gets its tree, or its error, as before.
//
// The tree is YAML's to the field: flow collections tagged !!map and
// !!seq, double-quoted !!str strings with their escapes decoded, numbers
// tagged as YAML resolves them, positions in lines and characters.
func Parse(src []byte) (doc *yaml.Node, ok bool) {
	if !yamlReadsAsJSON(src) {
		return nil, false
	}
	p := &jsonParser{src: src, s: string(src), line: 1, col: 1, tags: map[string]string{}}
	if bytes.HasPrefix(src, []byte("\ufeff")) {
		p.pos, p.mark = 3, 3 // YAML counts no column for the byte order mark
	}
	p.space()
	if p.pos >= len(src) || src[p.pos] != '{' && src[p.pos] != '[' {
		return nil, false
	}
	root, ok := p.value(0)
	if !ok {
		return nil, false
	}
	if p.space(); p.pos != len(src) {
		return nil, false
	}
	doc = p.node()
	doc.Kind, doc.Line, doc.Column, doc.Content = yaml.DocumentNode, root.Line, root.Column, []*yaml.Node{root}
	return doc, true
}

// yamlReadsAsJSON reports that src holds none of what YAML reads
// differently from JSON or refuses: a line break JSON does not know (a
// lone CR, NEL, LS, PS), a character YAML does not allow in a document
// (DEL, C1 controls, a byte order mark past the start, U+FFFE, U+FFFF),
// and bytes that are not UTF-8. Raw control characters other than tab
// and line breaks are not JSON either; the parser refuses them.
func yamlReadsAsJSON(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c == 0x7f || c == '\r' && (i+1 >= len(src) || src[i+1] != '\n') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError && size == 1,
			r >= 0x80 && r <= 0x9f, // C1 controls, NEL among them
			r == 0x2028, r == 0x2029,
			r == 0xfeff && i > 0, r == 0xfffe, r == 0xffff:
			return false
		}
		i += size
	}
	return true
}

// jsonMaxDepth bounds nesting, below YAML's own limit; deeper documents
// go to YAML, which says what it thinks of them.
const jsonMaxDepth = 1000

type jsonParser struct {
	src []byte
	s   string // src, once, so that values are slices of it
	pos int
	// line and col are the position of mark, which only moves forward:
	// nodes are made in document order, so positions cost one pass.
	line, col, mark int
	slab            []yaml.Node
	stack           []*yaml.Node      // children being collected
	tags            map[string]string // number literal -> YAML's tag
}

func (p *jsonParser) node() *yaml.Node {
	if len(p.slab) == 0 {
		p.slab = make([]yaml.Node, 1024)
	}
	n := &p.slab[0]
	p.slab = p.slab[1:]
	return n
}

// at places n at the current position: a line and a column counted in
// characters, from 1.
func (p *jsonParser) at(n *yaml.Node) {
	for ; p.mark < p.pos; p.mark++ {
		switch c := p.src[p.mark]; {
		case c == '\n':
			p.line, p.col = p.line+1, 1
		case c&0xc0 != 0x80: // not a continuation byte
			p.col++
		}
	}
	n.Line, n.Column = p.line, p.col
}

func (p *jsonParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *jsonParser) value(depth int) (*yaml.Node, bool) {
	if p.pos >= len(p.src) || depth > jsonMaxDepth {
		return nil, false
	}
	n := p.node()
	p.at(n)
	switch c := p.src[p.pos]; {
	case c == '{':
		n.Kind, n.Style, n.Tag = yaml.MappingNode, yaml.FlowStyle, "!!map"
		return n, p.collection(n, '}', depth, true)
	case c == '[':
		n.Kind, n.Style, n.Tag = yaml.SequenceNode, yaml.FlowStyle, "!!seq"
		return n, p.collection(n, ']', depth, false)
	case c == '"':
		return n, p.str(n)
	case c == '-' || c >= '0' && c <= '9':
		return n, p.number(n)
	}
	for _, w := range [...]struct{ word, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
		if bytes.HasPrefix(p.src[p.pos:], []byte(w.word)) {
			p.pos += len(w.word)
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, w.tag, w.word
			return n, p.ends()
		}
	}
	return nil, false
}

// ends reports that the scalar just read is followed by what may follow a
// value in JSON, so that `truex` or `1a` is not read as a word and more.
func (p *jsonParser) ends() bool {
	if p.pos >= len(p.src) {
		return true
	}
	switch p.src[p.pos] {
	case ' ', '\t', '\n', '\r', ',', '}', ']':
		return true
	}
	return false
}

// collection reads the entries of a mapping or the items of a sequence,
// up to the closing bracket.
func (p *jsonParser) collection(n *yaml.Node, closing byte, depth int, mapping bool) bool {
	p.pos++ // the opening bracket
	base := len(p.stack)
	defer func() { p.stack = p.stack[:base] }()
	p.space()
	if p.pos < len(p.src) && p.src[p.pos] == closing {
		p.pos++
		return true
	}
	for {
		p.space()
		if mapping {
			if p.pos >= len(p.src) || p.src[p.pos] != '"' {
				return false
			}
			k := p.node()
			p.at(k)
			if !p.str(k) {
				return false
			}
			p.stack = append(p.stack, k)
			if p.space(); p.pos >= len(p.src) || p.src[p.pos] != ':' {
				return false
			}
			p.pos++
			p.space()
		}
		v, ok := p.value(depth + 1)
		if !ok {
			return false
		}
		p.stack = append(p.stack, v)
		if p.space(); p.pos >= len(p.src) {
			return false
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			n.Content = append([]*yaml.Node(nil), p.stack[base:]...)
			return true
		default:
			return false
		}
	}
}

// str reads a string at the opening quote into n, its escapes decoded.
func (p *jsonParser) str(n *yaml.Node) bool {
	n.Kind, n.Style, n.Tag = yaml.ScalarNode, yaml.DoubleQuotedStyle, "!!str"
	start := p.pos + 1
	i := start
	for i < len(p.src) && p.src[i] != '"' && p.src[i] != '\\' && p.src[i] >= 0x20 {
		i++
	}
	if i < len(p.src) && p.src[i] == '"' {
		n.Value, p.pos = p.s[start:i], i+1
		return true
	}
	var b []byte
	b = append(b, p.src[start:i]...)
	for i < len(p.src) {
		c := p.src[i]
		switch {
		case c == '"':
			n.Value, p.pos = string(b), i+1
			return true
		case c < 0x20:
			return false
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(p.src) {
			return false
		}
		e := p.src[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			if i+4 > len(p.src) {
				return false
			}
			r, err := strconv.ParseUint(p.s[i:i+4], 16, 32)
			if err != nil || r >= 0xd800 && r <= 0xdfff {
				// YAML refuses a surrogate, even a pair's.
				return false
			}
			b = utf8.AppendRune(b, rune(r))
			i += 4
		default:
			return false
		}
	}
	return false
}

// number reads a JSON number; its tag is YAML's for the same plain scalar
// (YAML reads -0 as a float, 12345678901234567890 as an int), asked of
// YAML once per literal.
func (p *jsonParser) number(n *yaml.Node) bool {
	start, i := p.pos, p.pos
	digits := func() bool {
		j := i
		for i < len(p.src) && p.src[i] >= '0' && p.src[i] <= '9' {
			i++
		}
		return i > j
	}
	if p.src[i] == '-' {
		i++
	}
	if i < len(p.src) && p.src[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(p.src) && p.src[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(p.src) && (p.src[i] == 'e' || p.src[i] == 'E') {
		i++
		if i < len(p.src) && (p.src[i] == '+' || p.src[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	lit := p.s[start:i]
	tag, seen := p.tags[lit]
	if !seen {
		var d yaml.Node
		if yaml.Unmarshal([]byte(lit), &d) != nil || len(d.Content) != 1 || d.Content[0].Kind != yaml.ScalarNode {
			return false
		}
		tag = d.Content[0].Tag
		p.tags[lit] = tag
	}
	n.Kind, n.Tag, n.Value, p.pos = yaml.ScalarNode, tag, lit, i
	return p.ends()
}
