package augment

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// insertion is new text placed at a byte offset of the input.
type insertion struct {
	off   int
	cut   int // input bytes the text replaces (only an empty flow collection's brackets)
	text  string
	depth int // nesting of the site: at one offset, deeper text goes first
}

// text indexes the input by lines, to turn yaml.Node positions (1-based
// lines, columns counted in characters) into byte offsets.
type text struct {
	src    []byte
	starts []int
	nl     string
}

func newText(src []byte) *text {
	t := &text{src: src, starts: []int{0}, nl: "\n"}
	for i, c := range src {
		if c == '\n' {
			t.starts = append(t.starts, i+1)
		}
	}
	if bytes.Contains(src, []byte("\r\n")) {
		t.nl = "\r\n"
	}
	return t
}

// offset returns the byte offset of line:col.
func (t *text) offset(line, col int) int {
	off := t.starts[line-1]
	for c := 1; c < col && off < len(t.src); c++ {
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off
}

// lineAfter is the offset where the line after `line` starts.
func (t *text) lineAfter(line int) int {
	if line < len(t.starts) {
		return t.starts[line]
	}
	return len(t.src)
}

// indentOf returns the leading blanks of a line.
func (t *text) indentOf(line int) string {
	s := t.src[t.starts[line-1]:]
	n := 0
	for n < len(s) && (s[n] == ' ' || s[n] == '\t') {
		n++
	}
	return string(s[:n])
}

// firstOnLine reports that line:col is the first non-blank of its line.
func (t *text) firstOnLine(line, col int) bool {
	return utf8.RuneCountInString(t.indentOf(line)) == col-1
}

// splice renders every site and inserts the text into a copy of src.
func splice(src []byte, d *document, sites []*site) ([]byte, error) {
	t := newText(src)
	d.next = map[*yaml.Node]int{}
	t.nextLines(d.root, 0, d.next)
	unit := indentUnit(t, d)
	var ins []insertion
	for _, s := range sites {
		in, err := renderSite(t, d, s, unit)
		if err != nil {
			return nil, err
		}
		in.depth = len(s.path)
		ins = append(ins, in)
		if cut, ok := t.emptyFlowValue(d, s); ok {
			ins = append(ins, cut)
		}
	}
	// Several collections can end at one offset (a list that ends where
	// its parent mapping ends): the innermost one's new entries go first.
	sort.SliceStable(ins, func(i, j int) bool {
		if ins[i].off != ins[j].off {
			return ins[i].off < ins[j].off
		}
		return ins[i].depth > ins[j].depth
	})
	// A file without a final line break gets one before new lines at its end.
	for i := range ins {
		if ins[i].off == len(src) && len(src) > 0 && src[len(src)-1] != '\n' {
			ins[i].text = t.nl + ins[i].text
			break
		}
	}
	var out bytes.Buffer
	out.Grow(len(src) + 4096)
	last := 0
	for _, in := range ins {
		out.Write(src[last:in.off])
		out.WriteString(in.text)
		last = in.off + in.cut
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// indentUnit guesses one indentation level of the document from its root
// and the first nested collection written on its own lines.
func indentUnit(t *text, d *document) string {
	root := d.root
	if d.json {
		if len(root.Content) > 0 && root.Content[0].Line > root.Line {
			outer, inner := t.indentOf(root.Line), t.indentOf(root.Content[0].Line)
			if u, ok := strings.CutPrefix(inner, outer); ok && u != "" {
				return u
			}
		}
		return "  "
	}
	for i := 1; i < len(root.Content); i += 2 {
		v := root.Content[i]
		if v.Kind == yaml.MappingNode && !isFlow(v) && len(v.Content) > 0 {
			if n := v.Content[0].Column - root.Content[0].Column; n > 0 {
				return strings.Repeat(" ", n)
			}
		}
	}
	return "  "
}

func renderSite(t *text, d *document, s *site, unit string) (insertion, error) {
	n := s.node
	_, emptyFlow := t.emptyFlowValue(d, s)
	if !emptyFlow && (d.json || (n.Kind != yaml.ScalarNode && isFlow(n))) {
		return renderFlow(t, d, s, unit)
	}
	st := style{unit: unit, nl: t.nl}
	var b bytes.Buffer
	switch {
	case emptyFlow:
	case n.Kind == yaml.MappingNode:
		col := n.Content[0].Column - 1
		indent := strings.Repeat(" ", col)
		for i, k := range s.entries.keys {
			st.yamlEntry(&b, k, s.entries.vals[i], indent)
		}
		return t.atBlockEnd(n, d.next[n], col, b.String()), nil
	case n.Kind == yaml.SequenceNode:
		first := n.Content[0]
		var line []byte
		if dl := t.dashLine(first); dl == first.Line {
			line = t.src[t.starts[first.Line-1]:t.offset(first.Line, first.Column)]
		} else {
			line = t.src[t.starts[dl-1]:t.lineAfter(dl)]
		}
		dash := bytes.LastIndexByte(bytes.TrimRight(line, " \r\n"), '-')
		if dash < 0 || s.key == nil {
			return insertion{}, fmt.Errorf("%s:%d:%d: augment: cannot add to this list", d.file, n.Line, n.Column)
		}
		col := utf8.RuneCount(line[:dash])
		indent := strings.Repeat(" ", col)
		for _, it := range s.items {
			st.yamlItem(&b, it, indent)
		}
		return t.atBlockEnd(n, d.next[n], col, b.String()), nil
	}
	// An empty value (`headers:` with nothing after it, or an empty `{}`
	// that emptyFlowValue removes) becomes a block collection on the
	// following lines; an explicit null cannot.
	if !emptyFlow && (n.Value != "" || s.key == nil || !t.blockKey(s.key)) {
		return insertion{}, fmt.Errorf("%s:%d:%d: augment: cannot add to an explicit null", d.file, n.Line, n.Column)
	}
	indent := strings.Repeat(" ", s.key.Column-1) + unit
	if len(s.items) > 0 {
		for _, it := range s.items {
			st.yamlItem(&b, it, indent)
		}
	} else {
		for i, k := range s.entries.keys {
			st.yamlEntry(&b, k, s.entries.vals[i], indent)
		}
	}
	return insertion{off: t.lineAfter(s.key.Line), text: b.String()}, nil
}

// renderFlow inserts right after the opening bracket of a JSON or flow
// collection, so the lines that follow keep their text; new entries end
// with a comma when the collection already had content.
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

// nextLines records, for every collection, the line where the next node
// after it in document order starts (0: none, the collection runs to the
// end of the file).
func (t *text) nextLines(n *yaml.Node, after int, out map[*yaml.Node]int) {
	switch n.Kind {
	case yaml.MappingNode:
		out[n] = after
		for i := 0; i+1 < len(n.Content); i += 2 {
			next := after
			if i+2 < len(n.Content) {
				next = n.Content[i+2].Line
			}
			t.nextLines(n.Content[i+1], next, out)
		}
	case yaml.SequenceNode:
		out[n] = after
		for i, c := range n.Content {
			next := after
			if i+1 < len(n.Content) {
				next = t.dashLine(n.Content[i+1])
			}
			t.nextLines(c, next, out)
		}
	}
}

// dashLine is the line of a block sequence item's dash: the item's own
// line, or the line before when the dash stands alone.
func (t *text) dashLine(item *yaml.Node) int {
	if item.Line > 1 && !bytes.Contains(t.src[t.starts[item.Line-1]:t.offset(item.Line, item.Column)], []byte("-")) {
		return item.Line - 1
	}
	return item.Line
}

// atBlockEnd places text after the last entry of block collection n,
// whose entries are indented col characters: before the blank lines and
// the comments no deeper than col that lead to the next node (they belong
// to it), but never inside n's own content.
func (t *text) atBlockEnd(n *yaml.Node, next, col int, text string) insertion {
	lines := len(t.starts)
	if t.src[len(t.src)-1] == '\n' {
		lines--
	}
	cand := lines
	if next > 0 {
		cand = next - 1
	}
	last := n
	for len(last.Content) > 0 {
		last = last.Content[len(last.Content)-1]
	}
	// A block scalar kept with "|+" ends in blank lines that are content.
	keepBlanks := last.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && strings.HasSuffix(last.Value, "\n\n")
	for cand > last.Line {
		ln := strings.TrimRight(string(t.src[t.starts[cand-1]:t.lineAfter(cand)]), "\r\n")
		body := strings.TrimLeft(ln, " \t")
		if body == "" && !keepBlanks || strings.HasPrefix(body, "#") && len(ln)-len(body) <= col {
			cand--
			continue
		}
		break
	}
	return insertion{off: t.lineAfter(cand), text: text}
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
