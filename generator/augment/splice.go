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
