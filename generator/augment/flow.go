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
	open := byte('{')
	if n.Kind == yaml.SequenceNode {
		open = '['
	}
	start := t.offset(n.Line, n.Column)
	i := bytes.IndexByte(t.src[start:], open)
	if n.Kind == yaml.ScalarNode || i < 0 {
		return insertion{}, fmt.Errorf("%s:%d:%d: augment: cannot add to this value", d.file, n.Line, n.Column)
	}
	off := start + i + 1
	var parts []any
	var keys []string
	if n.Kind == yaml.MappingNode {
		keys, parts = s.entries.keys, s.entries.vals
	} else {
		parts = s.items
	}
	nonEmpty := len(n.Content) > 0

	// Multi-line layout where the document is pretty-printed JSON.
	multi, ws, closeWS := false, "", ""
	if d.json {
		if nonEmpty {
			f := n.Content[0]
			if f.Line > n.Line && t.firstOnLine(f.Line, f.Column) {
				multi, ws = true, t.indentOf(f.Line)
				if u, ok := strings.CutPrefix(ws, t.indentOf(n.Line)); ok && u != "" {
					unit = u
				}
			}
		} else if len(d.root.Content) > 0 && d.root.Content[0].Line > d.root.Line {
			closeWS = t.indentOf(n.Line)
			multi, ws = true, closeWS+unit
		}
	}
	st := style{json: true, yamlFlow: !d.json, compact: !multi, unit: unit, nl: t.nl}
	key := jsonString
	if !d.json {
		key = yamlScalar
	}
	var b bytes.Buffer
	if nonEmpty {
		// A collection with content gains its entries at its end: after
		// the last value, before the closing bracket. In pretty JSON the
		// last value's line gains a comma and the new lines follow it.
		end, ok := closeOf(t.src, off-1, !d.json)
		if !ok {
			return insertion{}, fmt.Errorf("%s:%d:%d: augment: unbalanced brackets", d.file, n.Line, n.Column)
		}
		last := len(bytes.TrimRight(t.src[:end], " \t\r\n"))
		// YAML allows a trailing comma: then the first entry needs none.
		comma := t.src[last-1] != ','
		for j, v := range parts {
			if comma || j > 0 {
				b.WriteByte(',')
			}
			if multi {
				b.WriteString(t.nl + ws)
			} else {
				b.WriteByte(' ')
			}
			if keys != nil {
				b.WriteString(key(keys[j]) + ": ")
			}
			st.jsonValue(&b, v, ws)
		}
		return insertion{off: last, text: b.String()}, nil
	}
	// An empty collection: its brackets are all there is to keep.
	for j, v := range parts {
		if multi {
			b.WriteString(t.nl + ws)
		} else if j > 0 {
			b.WriteString(", ")
		}
		if keys != nil {
			b.WriteString(key(keys[j]) + ": ")
		}
		st.jsonValue(&b, v, ws)
		if multi && j < len(parts)-1 {
			b.WriteByte(',')
		}
	}
	if multi {
		b.WriteString(t.nl + closeWS)
	}
	return insertion{off: off, text: b.String()}, nil
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
