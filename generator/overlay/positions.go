package overlay

import (
	"cmp"
	"slices"

	"gopkg.in/yaml.v3"
)

// Position is where a piece of an applied document came from: a line and
// column of the overlay (what an action's update or copy wrote) or of the
// source document (what the actions left in place).
type Position struct {
	Overlay      bool
	Line, Column int
}

// Applied is a document with an overlay applied, and where each of its
// nodes came from, so that a diagnostic about the applied document can
// name the line the author wrote.
type Applied struct {
	Doc []byte
	// index maps each node's position in Doc to its source, sorted by
	// position in Doc.
	index []mapped
}

type mapped struct {
	line, col int
	src       Position
}

// Source returns where the node at line:col of Doc came from. A position
// between nodes takes the source of the nearest node before it; a column of
// 0 asks for the line's first node. ok is false when line:col lies before
// every node.
func (a *Applied) Source(line, col int) (Position, bool) {
	if a == nil {
		return Position{}, false
	}
	i, found := slices.BinarySearchFunc(a.index, [2]int{line, col}, func(m mapped, at [2]int) int {
		return cmp.Or(cmp.Compare(m.line, at[0]), cmp.Compare(m.col, at[1]))
	})
	switch {
	case found:
		return a.index[i].src, true
	case col == 0 && i < len(a.index) && a.index[i].line == line:
		p := a.index[i].src
		p.Column = 0
		return p, true
	case i == 0:
		return Position{}, false
	}
	return a.index[i-1].src, true
}

// provenance records, for the nodes an action wrote, the position in the
// overlay (or, for a copy, in the document) of the node each was made
// from. speakeasy's merge clones update values, dropping their positions,
// and keeps some of the overlay's own key nodes; both are found here by
// walking the target beside the update as the merge rules pair them.
type provenance struct {
	from map[*yaml.Node]Position
	// overlay holds every node of the overlay document, whose own
	// positions are in the overlay.
	overlay map[*yaml.Node]bool
}

func newProvenance(overlayRoot *yaml.Node) *provenance {
	p := &provenance{from: map[*yaml.Node]Position{}, overlay: map[*yaml.Node]bool{}}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || p.overlay[n] {
			return
		}
		p.overlay[n] = true
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(overlayRoot)
	return p
}

// of is where a node of the document, as the actions so far left it, came
// from.
func (p *provenance) of(n *yaml.Node) Position {
	if pos, ok := p.from[n]; ok {
		return pos
	}
	return Position{Overlay: p.overlay[n], Line: n.Line, Column: n.Column}
}

// merged records what merging src into target wrote; at gives src's
// nodes' positions. A node the merge made (a clone) has no line of its
// own; one the merge kept has the line it had.
func (p *provenance) merged(target, src *yaml.Node, at func(*yaml.Node) Position) {
	switch {
	case target.Kind == yaml.MappingNode && src.Kind == yaml.MappingNode:
		if target.Line == 0 {
			p.from[target] = at(src)
		}
		for i := 0; i+1 < len(src.Content); i += 2 {
			k, v := src.Content[i], src.Content[i+1]
			tk, tv := lookup(target, k.Value)
			if tv == nil {
				continue
			}
			if tv.Line == 0 || tv.Kind == yaml.ScalarNode {
				// A value replaced, not merged into: the entry is the
				// overlay's, key and all.
				p.from[tk] = at(k)
			}
			p.merged(tv, v, at)
		}
	case target.Kind == yaml.SequenceNode && src.Kind == yaml.SequenceNode:
		if target.Line == 0 {
			p.from[target] = at(src)
		}
		// Appended at the end.
		off := len(target.Content) - len(src.Content)
		for i, c := range src.Content {
			if off+i >= 0 {
				p.copied(target.Content[off+i], c, at)
			}
		}
	case target.Kind == yaml.SequenceNode && target.Line > 0 && len(target.Content) > 0:
		// Overlay 1.1.0 appends a single value to a list.
		p.copied(target.Content[len(target.Content)-1], src, at)
	default:
		p.copied(target, src, at)
	}
}

// copied records a node that is a copy of src, child for child.
func (p *provenance) copied(target, src *yaml.Node, at func(*yaml.Node) Position) {
	p.from[target] = at(src)
	if len(target.Content) != len(src.Content) {
		return
	}
	for i := range target.Content {
		p.copied(target.Content[i], src.Content[i], at)
	}
}

// index pairs each node of the applied tree with the node at the same
// place in out, the applied document as encoded and parsed again, and
// records where it came from. JSON output resolves aliases, as writeJSON
// does; YAML keeps them.
func (p *provenance) index(applied, out *yaml.Node, json bool) []mapped {
	var list []mapped
	var walk func(a, o *yaml.Node, parent Position)
	walk = func(a, o *yaml.Node, parent Position) {
		for json && a.Kind == yaml.AliasNode && a.Alias != nil {
			a = a.Alias
		}
		src := p.of(a)
		if src.Line == 0 {
			src = parent
		}
		if o.Line > 0 {
			list = append(list, mapped{line: o.Line, col: o.Column, src: src})
		}
		if a.Kind != o.Kind || len(a.Content) != len(o.Content) || a.Kind == yaml.AliasNode {
			return
		}
		for i := range a.Content {
			walk(a.Content[i], o.Content[i], src)
		}
	}
	walk(applied, out, Position{})
	slices.SortStableFunc(list, func(x, y mapped) int {
		return cmp.Or(cmp.Compare(x.line, y.line), cmp.Compare(x.col, y.col))
	})
	// A block mapping starts where its first key does; the innermost
	// node, listed last, is the most precise.
	kept := list[:0]
	for _, m := range list {
		if n := len(kept); n > 0 && kept[n-1].line == m.line && kept[n-1].col == m.col {
			kept[n-1] = m
			continue
		}
		kept = append(kept, m)
	}
	return kept
}

// lookup returns the first entry of a mapping with the key k, as the merge
// finds it.
func lookup(m *yaml.Node, k string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}
