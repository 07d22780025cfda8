package lint

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
)

// shown is where the author wrote what kin-openapi places at loc, in the
// document as loaded.
func (l *linter) shown(loc *openapi3.Location) model.Origin {
	file := loc.File
	if !strings.Contains(file, "://") {
		file = filepath.FromSlash(file)
	}
	if file == "" {
		file = l.res.Model.Source
	}
	return l.res.Position(model.Origin{File: file, Line: loc.Line, Column: loc.Column})
}

// fileTree is a parsed YAML (or JSON) file, for positions kin-openapi does
// not record: those inside an extension's value, and all of Swagger 2.0's.
type fileTree struct{ root *yaml.Node }

func parseTree(data []byte) *fileTree {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return &fileTree{}
	}
	return &fileTree{root: doc.Content[0]}
}

func (l *linter) rootTree() *fileTree {
	const key = "\x00root" // the document as loaded, which no file name can be
	if t, ok := l.files[key]; ok {
		return t
	}
	t := parseTree(l.res.Root)
	l.files[key] = t
	return t
}

// diskTree is the file as its author wrote it, which is where shown
// positions point even when an overlay was applied.
func (l *linter) diskTree(name string) *fileTree {
	if t, ok := l.files[name]; ok {
		return t
	}
	t := &fileTree{}
	if !strings.Contains(name, "://") {
		if data, err := os.ReadFile(name); err == nil {
			t = parseTree(data)
		}
	}
	l.files[name] = t
	return t
}

// child steps along mapping keys and returns the last key's node.
func (t *fileTree) child(path ...string) *yaml.Node {
	n := t.root
	var key *yaml.Node
	for _, p := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		key, n = entry(n, p)
	}
	return key
}

func entry(m *yaml.Node, name string) (key, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			key, value = m.Content[i], m.Content[i+1]
		}
	}
	return key, value
}

// valueAt is the value of the mapping entry whose key starts at line:col.
func valueAt(n *yaml.Node, line, col int) *yaml.Node {
	if n == nil || n.Line > line {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Line == line && k.Column == col {
				return v
			}
			if v := valueAt(v, line, col); v != nil {
				return v
			}
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if v := valueAt(c, line, col); v != nil {
				return v
			}
		}
	}
	return nil
}

// markerField is where a field of the operation's x-idempotent object
// stands, or the marker itself when it cannot be found.
func (l *linter) markerField(o *operation, field string) model.Origin {
	m := o.marked.Origin
	if m.Line == 0 {
		return m
	}
	trees := []*fileTree{l.diskTree(m.File)}
	if m.File == l.res.Model.Source {
		trees = append(trees, l.rootTree())
	}
	for _, t := range trees {
		v := valueAt(t.root, m.Line, m.Column)
		if v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		if k, _ := entry(v, field); k != nil {
			return model.Origin{File: m.File, Line: k.Line, Column: k.Column}
		}
	}
	return m
}
