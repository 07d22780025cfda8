package augment

import (
	"bytes"
	"fmt"
	"io"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/jsonyaml"
)

// Result is the augmented document and what could not be documented.
type Result struct {
	Spec     []byte
	Warnings []string
}

// Spec returns src with the idempotency contract added and nothing else
// changed. See the package documentation for what is added.
func Spec(src []byte, m model.Model) ([]byte, error) {
	r, err := Augment(src, m)
	if err != nil {
		return nil, err
	}
	return r.Spec, nil
}

// Augment is Spec with the warnings: operations or shared responses the
// contract could not be written into.
func Augment(src []byte, m model.Model) (*Result, error) {
	d, err := parse(src, m)
	if err != nil {
		return nil, err
	}
	a := newAugmenter(d, m)
	a.run()
	if a.p.err != nil {
		return nil, a.p.err
	}
	out, err := splice(src, d, a.p.order)
	if err != nil {
		return nil, err
	}
	// Nothing below reads the input's tree or plan, so the collector may
	// free them while verify builds the output's: a large document's two
	// trees are not held at once.
	warnings := a.warnings
	if err := verify(out, m); err != nil {
		return nil, err
	}
	return &Result{Spec: out, Warnings: warnings}, nil
}

// verify reads the output back: it must parse, and planning on it must
// find nothing left to add. That proves every addition landed where YAML
// reads it, even in unusual flow syntax, and that a rerun is a no-op.
func verify(out []byte, m model.Model) error {
	d, err := parse(out, m)
	if err != nil {
		return fmt.Errorf("augment: the augmented document does not read back (%v); please report this with the input", err)
	}
	a := newAugmenter(d, m)
	a.run()
	if a.p.err != nil || len(a.p.order) > 0 {
		where := ""
		if len(a.p.order) > 0 {
			n := a.p.order[0].node
			where = fmt.Sprintf(" near line %d", n.Line)
		}
		return fmt.Errorf("%s: augment: could not place the additions reliably%s (unusual flow syntax?); please report this with the input", d.file, where)
	}
	return nil
}

// document is the parsed input.
type document struct {
	file string
	root *yaml.Node // the top-level mapping
	json bool
	// swagger: a Swagger 2.0 document, whose reusable objects live at the
	// top level (parameters, responses, definitions) instead of under
	// components, and which has no reusable headers.
	swagger bool
	// next maps each collection to the line of the node that follows it.
	next map[*yaml.Node]int
}

func parse(src []byte, m model.Model) (*document, error) {
	file := m.Source
	if file == "" {
		file = "spec"
	}
	doc, err := parseTree(src, file)
	if err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: augment: the document is not a mapping", file)
	}
	root := doc.Content[0]
	swagger := value(root, "swagger") != nil
	if !swagger && value(root, "openapi") == nil {
		return nil, fmt.Errorf("%s: augment: no openapi or swagger version field; not an OpenAPI document", file)
	}
	isJSON := m.Format == "json" || (m.Format == "" && bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")))
	return &document{file: file, root: root, json: isJSON, swagger: swagger}, nil
}

// parseTree reads the one YAML document of src: as JSON when jsonyaml.Parse can
// (much faster, and the same tree), else with the YAML parser.
func parseTree(src []byte, file string) (*yaml.Node, error) {
	if doc, ok := jsonyaml.Parse(src); ok {
		return doc, nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("%s: augment: a file with more than one YAML document is not supported", file)
	}
	return &doc, nil
}
