package load

import (
	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/jsonyaml"
)

// files holds the bytes of every file a load read, keyed by the name
// kin-openapi stamps into origins, and parses them only when a diagnostic
// needs a position that kin-openapi's origins do not carry (the fields inside
// an extension value, a $ref's value). A clean load never parses twice.
type files struct {
	data  map[string][]byte
	trees map[string]*yaml.Node
	order []string // in the order read; the root first
}

func newFiles() *files {
	return &files{data: map[string][]byte{}, trees: map[string]*yaml.Node{}}
}

func (fs *files) add(name string, data []byte) {
	if _, ok := fs.data[name]; !ok {
		fs.order = append(fs.order, name)
	}
	fs.data[name] = data
}

// tree returns the file's parsed document node, or nil when the file is
// unknown or does not parse.
func (fs *files) tree(name string) *yaml.Node {
	if t, ok := fs.trees[name]; ok {
		return t
	}
	var t *yaml.Node
	if data, ok := fs.data[name]; ok {
		doc, isJSON := jsonyaml.Parse(data) // the same tree, much faster
		if !isJSON {
			doc = new(yaml.Node)
			if yaml.Unmarshal(data, doc) != nil {
				doc = nil
			}
		}
		if doc != nil && doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
			t = doc.Content[0]
		}
	}
	fs.trees[name] = t
	return t
}

// keyAt finds the mapping entry whose key starts at line:col.
func keyAt(n *yaml.Node, line, col int) (key, value *yaml.Node) {
	if n == nil || n.Line > line {
		// Nodes only begin at or after their parent's start.
		return nil, nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Line == line && k.Column == col {
				return k, v
			}
			if k, v := keyAt(v, line, col); k != nil {
				return k, v
			}
		}
	case yaml.SequenceNode, yaml.DocumentNode:
		for _, c := range n.Content {
			if k, v := keyAt(c, line, col); k != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// child steps from a node along a path of mapping keys and sequence indexes,
// returning the key node of the last step (nil for an index) and its value.
func child(n *yaml.Node, path []any) (key, value *yaml.Node) {
	value = n
	for _, p := range path {
		key = nil
		if value == nil {
			return nil, nil
		}
		switch p := p.(type) {
		case string:
			if value.Kind != yaml.MappingNode {
				return nil, nil
			}
			var next *yaml.Node
			for i := 0; i+1 < len(value.Content); i += 2 {
				if value.Content[i].Value == p {
					key, next = value.Content[i], value.Content[i+1]
				}
			}
			value = next
		case int:
			if value.Kind != yaml.SequenceNode || p >= len(value.Content) {
				return nil, nil
			}
			value = value.Content[p]
		}
	}
	return key, value
}

func at(file string, n *yaml.Node) model.Origin {
	return model.Origin{File: file, Line: n.Line, Column: n.Column}
}

// refSite is a $ref value and where it stands.
type refSite struct {
	Origin model.Origin
	Value  string
}

// refsTo returns every $ref whose value satisfies match, in every file read,
// in reading order.
func (fs *files) refsTo(match func(string) bool) []refSite {
	var out []refSite
	for _, name := range fs.order {
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n == nil {
				return
			}
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					k, v := n.Content[i], n.Content[i+1]
					if k.Value == "$ref" && v.Kind == yaml.ScalarNode && match(v.Value) {
						out = append(out, refSite{at(display(name), v), v.Value})
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(fs.tree(name))
	}
	return out
}

// listsUnder returns where a mapping key named key holds a sequence, in
// every file read.
func (fs *files) listsUnder(key string) []model.Origin {
	var out []model.Origin
	for _, name := range fs.order {
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n == nil {
				return
			}
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if k, v := n.Content[i], n.Content[i+1]; k.Value == key && v.Kind == yaml.SequenceNode {
						out = append(out, at(display(name), v))
					}
				}
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(fs.tree(name))
	}
	return out
}
