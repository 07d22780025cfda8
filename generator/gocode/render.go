package gocode

import (
	"bytes"
	"fmt"
	"go/format"
	"text/template"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/templates"
)

// Options shape the generated file.
type Options struct {
	// Package is the Go package of the file: the package oapi-codegen
	// generated ServerInterface into.
	Package string
	// Source is the specification's file name, quoted in doc comments.
	Source string
}

// tmpl is parsed once; text/template is safe for concurrent Execute.
var tmpl = template.Must(template.New("gocode.go.tmpl").ParseFS(templates.FS, "gocode*.tmpl"))

// Render returns the gofmt'd source of idempotency.gen.go for m, whose
// operations Resolve has named. An operation without a GoName is served by
// the route table only.
func Render(m model.Model, opts Options) ([]byte, error) {
	data, err := newFileData(m, opts)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("gocode: rendering %s: %w", m.Source, err)
	}
	src, err := format.Source(buf.Bytes())
	if err != nil {
		// The template produced invalid Go: show it, it is the bug.
		return nil, fmt.Errorf("gocode: generated Go for %s does not parse: %w\n%s", m.Source, err, buf.Bytes())
	}
	// Resolve has checked every ServerInterface method; a model built by
	// other means is checked for the methods it names.
	d, err := readDeclared(src)
	if err != nil {
		return nil, fmt.Errorf("gocode: generated Go for %s does not parse: %w", m.Source, err)
	}
	var methods []serverMethod
	for _, op := range m.Operations {
		if op.GoName != "" {
			methods = append(methods, serverMethod{name: op.GoName, route: op.Route(), id: op.OperationID, origin: op.Origin})
		}
	}
	if err := checkDeclared(d, methods, m); err != nil {
		return nil, err
	}
	return src, nil
}
