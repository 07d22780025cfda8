package augment

import (
	"fmt"

	"go.yaml.in/yaml/v4"
)

// site is a collection that exists in the input and receives additions.
// Everything new hangs off some site, so the input's own lines are never
// touched: new text is spliced in at the site's opening.
type site struct {
	node    *yaml.Node // an existing mapping, sequence, or empty value
	key     *yaml.Node // the key owning node; nil for the document root
	path    []string   // keys from the root, for Overlay targets
	entries *omap      // new keys (node is a mapping, or an empty value becoming one)
	items   []any      // new items (node is a sequence, or an empty value becoming one)
}

// cursor is a place in the document as it will be: an existing node, or
// a mapping that the additions create.
type cursor struct {
	node *yaml.Node
	key  *yaml.Node
	path []string
	pend *omap
}

type planner struct {
	file  string
	sites map[*yaml.Node]*site
	order []*site
	err   error
}

func (p *planner) fail(n *yaml.Node, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%s:%d:%d: %s", p.file, n.Line, n.Column, fmt.Sprintf(format, args...))
	}
}

func (p *planner) site(c cursor) *site {
	s := p.sites[c.node]
	if s == nil {
		s = &site{node: c.node, key: c.key, path: c.path, entries: &omap{}}
		p.sites[c.node] = s
		p.order = append(p.order, s)
	}
	return s
}

func with(path []string, k string) []string {
	return append(path[:len(path):len(path)], k)
}

// enter moves to the mapping under k, planning it if it is absent.
func (p *planner) enter(c cursor, k string) cursor {
	if c.pend != nil {
		return cursor{pend: c.pend.child(k)}
	}
	if c.node.Kind == yaml.MappingNode {
		key, val := lookup(c.node, k)
		switch {
		case val == nil:
		case val.Kind == yaml.MappingNode || isNull(val):
			return cursor{node: val, key: key, path: with(c.path, k)}
		default:
			p.fail(val, "%s: expected a mapping", k)
			return cursor{pend: &omap{}}
		}
	}
	return cursor{pend: p.site(c).entries.child(k)}
}

// put adds the new key k, which the caller checked is absent.
func (p *planner) put(c cursor, k string, v any) {
	if c.pend != nil {
		c.pend.set(k, v)
		return
	}
	p.site(c).entries.set(k, v)
}

// appendTo adds item to the list under k, creating the list if absent.
func (p *planner) appendTo(c cursor, k string, item any) {
	add := func(m *omap) {
		l, _ := m.get(k)
		list, _ := l.([]any)
		m.set(k, append(list, item))
	}
	if c.pend != nil {
		add(c.pend)
		return
	}
	key, val := lookup(c.node, k)
	switch {
	case val == nil:
		add(p.site(c).entries)
	case val.Kind == yaml.SequenceNode || isNull(val):
		s := p.site(cursor{node: val, key: key, path: with(c.path, k)})
		s.items = append(s.items, item)
	default:
		p.fail(val, "%s: expected a list", k)
	}
}
