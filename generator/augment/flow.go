package augment

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v4"
)

// renderFlow adds entries to a JSON or YAML flow collection: before its
// closing bracket when it has content (so pretty JSON only gains lines and
// one comma), right after its opening bracket when it is empty.
func renderFlow(t *text, d *document, s *site, unit string) (insertion, error) {
	n := s.node
	off, err := t.flowOpening(d, n)
	if err != nil {
		return insertion{}, err
	}
	e := flowEntries{flowLayout: t.flowLayoutOf(d, n, unit), parts: s.items, key: jsonString}
	if n.Kind == yaml.MappingNode {
		e.keys, e.parts = s.entries.keys, s.entries.vals
	}
	if !d.json {
		e.key = yamlScalar
	}
	e.st = style{json: true, yamlFlow: !d.json, compact: !e.multi, unit: e.unit, nl: t.nl}
	if len(n.Content) == 0 {
		// An empty collection: its brackets are all there is to keep.
		return insertion{off: off, text: e.intoEmpty()}, nil
	}
	// A collection with content gains its entries at its end: after the
	// last value, before the closing bracket. In pretty JSON the last
	// value's line gains a comma and the new lines follow it.
	end, ok := closeOf(t.src, off-1, !d.json)
	if !ok {
		return insertion{}, fmt.Errorf("%s:%d:%d: augment: unbalanced brackets", d.file, n.Line, n.Column)
	}
	last := len(bytes.TrimRight(t.src[:end], " \t\r\n"))
	// YAML allows a trailing comma: then the first entry needs none.
	return insertion{off: last, text: e.atEnd(t.src[last-1] != ',')}, nil
}

// flowOpening returns the offset just after the opening bracket of the
// flow collection n.
func (t *text) flowOpening(d *document, n *yaml.Node) (int, error) {
	open := byte('{')
	if n.Kind == yaml.SequenceNode {
		open = '['
	}
	start := t.offset(n.Line, n.Column)
	i := bytes.IndexByte(t.src[start:], open)
	if n.Kind == yaml.ScalarNode || i < 0 {
		return 0, fmt.Errorf("%s:%d:%d: augment: cannot add to this value", d.file, n.Line, n.Column)
	}
	return start + i + 1, nil
}

// flowLayout is how new entries of a flow collection are laid out: on
// lines of their own where the document is pretty-printed JSON, else on
// the collection's line.
type flowLayout struct {
	multi   bool   // one entry per line
	ws      string // the indent of an entry's line
	closeWS string // the indent of an empty collection's closing bracket
	unit    string // one level of indent
}

// flowLayoutOf follows the collection's own first entry, or, for an empty
// collection, the document's: pretty JSON when the root's first key is on
// a line of its own.
func (t *text) flowLayoutOf(d *document, n *yaml.Node, unit string) flowLayout {
	l := flowLayout{unit: unit}
	if !d.json {
		return l
	}
	if len(n.Content) > 0 {
		f := n.Content[0]
		if f.Line > n.Line && t.firstOnLine(f.Line, f.Column) {
			l.multi, l.ws = true, t.indentOf(f.Line)
			if u, ok := strings.CutPrefix(l.ws, t.indentOf(n.Line)); ok && u != "" {
				l.unit = u
			}
		}
	} else if len(d.root.Content) > 0 && d.root.Content[0].Line > d.root.Line {
		l.closeWS = t.indentOf(n.Line)
		l.multi, l.ws = true, l.closeWS+unit
	}
	return l
}

// flowEntries writes the new entries of one flow collection.
type flowEntries struct {
	flowLayout
	keys  []string // nil for a sequence's items
	parts []any
	key   func(string) string // writes a key as the collection's syntax wants
	st    style
}

// atEnd writes the entries for after a collection's last value; comma
// says that the first of them needs one before it.
func (e flowEntries) atEnd(comma bool) string {
	var b bytes.Buffer
	for j, v := range e.parts {
		if comma || j > 0 {
			b.WriteByte(',')
		}
		if e.multi {
			b.WriteString(e.st.nl + e.ws)
		} else {
			b.WriteByte(' ')
		}
		e.entry(&b, j, v)
	}
	return b.String()
}

// intoEmpty writes the entries for between an empty collection's brackets.
func (e flowEntries) intoEmpty() string {
	var b bytes.Buffer
	for j, v := range e.parts {
		if e.multi {
			b.WriteString(e.st.nl + e.ws)
		} else if j > 0 {
			b.WriteString(", ")
		}
		e.entry(&b, j, v)
		if e.multi && j < len(e.parts)-1 {
			b.WriteByte(',')
		}
	}
	if e.multi {
		b.WriteString(e.st.nl + e.closeWS)
	}
	return b.String()
}

// entry writes the j-th entry, v, with its key in a mapping.
func (e flowEntries) entry(b *bytes.Buffer, j int, v any) {
	if e.keys != nil {
		b.WriteString(e.key(e.keys[j]) + ": ")
	}
	e.st.jsonValue(b, v, e.ws)
}

// closeOf returns the offset of the bracket closing the collection
// opened at src[open], skipping quoted strings (and, in YAML, comments and
// single-quoted strings; a quote inside a plain scalar opens nothing).
func closeOf(src []byte, open int, yamlFlow bool) (int, bool) {
	depth := 0
	for i := open; i < len(src); i++ {
		c := src[i]
		opens := !yamlFlow || i == 0 || bytes.IndexByte([]byte(" \t\r\n{[,:"), src[i-1]) >= 0
		switch {
		case c == '"' && opens:
			for i++; i < len(src) && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case c == '\'' && yamlFlow && opens:
			for i++; i < len(src) && src[i] != '\''; i++ {
			}
		case c == '#' && yamlFlow && i > 0 && (src[i-1] == ' ' || src[i-1] == '\t'):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth == 0 {
				return i, true
			}
		}
	}
	return 0, false
}

// emptyFlowValue: an empty `{}` or `[]` that is the value of a block
// mapping key in YAML is turned into a block collection, which reads far
// better than new entries crammed into one line: it returns the edit that
// removes the brackets (and the blank before them). The key's line is the
// one line that changes.
func (t *text) emptyFlowValue(d *document, s *site) (insertion, bool) {
	n, k := s.node, s.key
	if d.json || k == nil || !isFlow(n) || len(n.Content) > 0 || n.Line != k.Line || n.Anchor != "" || n.Tag != "!!map" && n.Tag != "!!seq" {
		return insertion{}, false
	}
	if !t.blockKey(k) {
		return insertion{}, false
	}
	lineStart := t.starts[k.Line-1]
	at := t.offset(n.Line, n.Column)
	pair := "{}"
	if n.Kind == yaml.SequenceNode {
		pair = "[]"
	}
	if !bytes.HasPrefix(t.src[at:], []byte(pair)) {
		return insertion{}, false
	}
	head := bytes.TrimRight(t.src[lineStart:at], " ")
	if len(head) == 0 || head[len(head)-1] != ':' {
		return insertion{}, false // a tag or something else stands between
	}
	from := lineStart + len(head)
	return insertion{off: from, cut: at + 2 - from, depth: 1 << 30}, true
}

// blockKey reports that k is a key of a block mapping: only blanks and
// sequence dashes stand before it on its line.
func (t *text) blockKey(k *yaml.Node) bool {
	before := string(t.src[t.starts[k.Line-1]:t.offset(k.Line, k.Column)])
	return strings.Trim(before, " -") == ""
}
