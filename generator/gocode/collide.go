package gocode

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

// serverMethod is a ServerInterface method, and where its name comes from.
type serverMethod struct {
	name   string
	route  string
	id     string // the operationId it is named after; "" when oapi-codegen made the name up
	origin model.Origin
}

// checkDeclared reports what would stop the rendered file from compiling:
// a ServerInterface method named like one of IdempotentServer's fields (a
// wrapper cannot be declared, and an unwrapped method would be hidden, so
// that IdempotentServer no longer implements ServerInterface), and a name
// declared twice in the package scope (a parameter type's import named like
// the runtime's). methods are the ServerInterface methods to check; m names
// the imports' users.
func checkDeclared(d declared, methods []serverMethod, m model.Model) error {
	var clashes []error
	for _, sm := range methods {
		if d.fields[sm.name] {
			clashes = append(clashes, fieldCollision(sm))
		}
	}
	if len(clashes) > 0 {
		return errors.Join(clashes...)
	}
	for name, n := range d.methods {
		if n > 1 {
			return fmt.Errorf("gocode: %s would declare the method %s %d times", m.Source, name, n)
		}
	}
	names := make([]string, 0, len(d.scope))
	for name, n := range d.scope {
		if n > 1 {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		for _, op := range m.Operations {
			for _, p := range op.GoParams {
				if p.Import != "" && importName(p.Import) == name {
					return fmt.Errorf("%s: %s: parameter %s needs the package %s, but idempotency.gen.go already uses the name %s (for %s); import it under another name (the name of its x-go-type-import, with the x-go-type to match)",
						op.Origin, op.Route(), p.Name, p.Import, name, d.usedFor(name, p.Import))
				}
			}
		}
		return fmt.Errorf("gocode: %s: idempotency.gen.go would declare %s %d times", m.Source, name, d.scope[name])
	}
	return nil
}

// usedFor says what else a file-scope name stands for, for messages.
func (d declared) usedFor(name, except string) string {
	for _, spec := range d.imports[name] {
		if spec != except {
			return "the import " + spec
		}
	}
	return "its own declaration " + name
}

// fieldCollision is the error for a ServerInterface method named like a
// field of IdempotentServer, with the way out: oapi-codegen names the
// method after the operationId, and ignores x-go-name on operations.
func fieldCollision(sm serverMethod) error {
	named := "oapi-codegen names it " + sm.name
	fix := "give the operation an operationId"
	if sm.id != "" {
		named = "operationId " + strconv.Quote(sm.id) + " becomes the ServerInterface method " + sm.name
		fix = "rename the operationId"
	}
	return fmt.Errorf("%s: %s: %s, but %s, which embeds ServerInterface, has a field of that name in idempotency.gen.go, and a Go type cannot have a field and a method of one name; %s, in the spec or with an OpenAPI Overlay that both oapi-codegen and idemgen (-overlay) apply (oapi-codegen ignores x-go-name on operations)",
		sm.origin, sm.route, named, serverType, fix)
}

// checkServer checks the file Render will write for out against every
// method of oapi-codegen's ServerInterface, the unmarked operations' too:
// IdempotentServer embeds ServerInterface, so a field named like any of its
// methods breaks the file. Errors stand at the operationId.
func checkServer(doc *openapi3.T, out model.Model, byRoute map[string]method) error {
	data, err := newFileData(out, Options{Package: "api"})
	if err != nil {
		return nil // Render reports it, with the same words
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return nil
	}
	d, err := readDeclared(buf.Bytes())
	if err != nil {
		return nil
	}
	marked := map[string]model.Operation{}
	for _, op := range out.Operations {
		marked[op.Route()] = op
	}
	var methods []serverMethod
	for route, mt := range byRoute {
		if mt.aliasOf != "" {
			continue
		}
		sm := serverMethod{name: mt.name, route: route, origin: model.Origin{File: out.Source}}
		if op, ok := marked[route]; ok {
			sm.origin = op.Origin
		}
		meth, path, _ := strings.Cut(route, " ")
		if item := doc.Paths.Value(path); item != nil {
			if op := item.GetOperation(meth); op != nil {
				sm.id = op.OperationID
				if o := fieldOrigin(op.Origin, "operationId"); o.Line > 0 {
					sm.origin = o
				}
			}
		}
		methods = append(methods, sm)
	}
	slices.SortFunc(methods, func(a, b serverMethod) int {
		return cmp.Or(cmp.Compare(a.origin.File, b.origin.File), cmp.Compare(a.origin.Line, b.origin.Line), strings.Compare(a.route, b.route))
	})
	return checkDeclared(d, methods, out)
}

// fieldOrigin is where a field of a kin-openapi object stands, else where
// the object does; zero without origins (Swagger 2.0 input).
func fieldOrigin(o *openapi3.Origin, field string) model.Origin {
	if o == nil {
		return model.Origin{}
	}
	loc, ok := o.Fields.Lookup(field)
	if !ok && o.Key != nil {
		loc, ok = *o.Key, true
	}
	if !ok || loc.Line == 0 {
		return model.Origin{}
	}
	return model.Origin{File: displayFile(loc.File), Line: loc.Line, Column: loc.Column}
}

// namesLikeField reports whether an operationId of doc could become the
// name of a field of IdempotentServer in a file that wraps nothing: each of
// oapi-codegen's name normalisers changes letter case and drops separators,
// nothing more. Only then does Resolve, with no operation to name, ask
// oapi-codegen for the names.
func namesLikeField(doc *openapi3.T) bool {
	fold := func(s string) string {
		return strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				return unicode.ToLower(r)
			}
			return -1
		}, s)
	}
	fields := map[string]bool{}
	for f := range bareFields() {
		fields[fold(f)] = true
	}
	if doc.Paths == nil {
		return false
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if fields[fold(op.OperationID)] {
				return true
			}
		}
	}
	return false
}
