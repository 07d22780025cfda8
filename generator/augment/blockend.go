package augment

import (
	"bytes"
	"strings"

	"go.yaml.in/yaml/v4"
)

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
