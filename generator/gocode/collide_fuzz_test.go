package gocode

import (
	"bytes"
	"go/token"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

// collisionSeed is a document of two operations: POST /a/{param}, marked
// x-idempotent with the operationId marked, and POST /b, unmarked, with the
// operationId unmarked.
type collisionSeed struct{ marked, unmarked, param string }

// collisionSeeds name every identifier idempotency.gen.go declares (package
// scope, IdempotentServer's fields and methods, imports) and the ones
// oapi-codegen's std-http output declares around ServerInterface.
var collisionSeeds = []collisionSeed{
	{"createPayment", "listPayments", "id"},
	{"ServerInterface", "listPayments", "id"},
	{"createPayment", "ServerInterface", "id"},
	{"server-interface", "listPayments", "id"},
	{"IdempotentServer", "NewIdempotentServer", "id"},
	{"IdempotentRoutes", "NewIdempotencyMiddleware", "id"},
	{"routeCreatePayment", "mwCreatePayment", "routeCreatePayment"},
	{"createPayment", "RouteCreatePayment", "routeCreatePayment"},
	{"Unimplemented", "ServerInterfaceWrapper", "id"},
	{"HandlerFromMux", "Handler", "id"},
	{"createPayment", "listPayments", "http"},
	{"createPayment", "listPayments", "idempotency"},
	{"createPayment", "listPayments", "time"},
	{"createPayment", "listPayments", "s"},
	{"createPayment", "listPayments", "w"},
	{"createPayment", "listPayments", "IdempotentRoutes"},
	{"", "", "id"},
}

// collisionDoc builds the seed's document, a fresh one each call (Resolve
// and oapi-codegen change what they are given), and its model.
func collisionDoc(s collisionSeed) (*openapi3.T, model.Model) {
	responses := func() *openapi3.Responses {
		return openapi3.NewResponses(openapi3.WithStatus(201, &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("ok")}))
	}
	doc := &openapi3.T{OpenAPI: "3.0.3", Info: &openapi3.Info{Title: "t", Version: "1"}, Paths: openapi3.NewPaths()}
	pathA := "/a/{" + s.param + "}"
	doc.Paths.Set(pathA, &openapi3.PathItem{Post: &openapi3.Operation{OperationID: s.marked, Responses: responses(),
		Parameters: openapi3.Parameters{{Value: openapi3.NewPathParameter(s.param).WithSchema(openapi3.NewStringSchema())}}}})
	doc.Paths.Set("/b", &openapi3.PathItem{Post: &openapi3.Operation{OperationID: s.unmarked, Responses: responses()}})
	m := model.Model{Source: "spec.yaml", Format: "yaml", Operations: []model.Operation{{
		Method: "POST", Path: pathA, OperationID: s.marked, Policy: model.DefaultPolicy,
		Origin: model.Origin{File: "spec.yaml", Line: 5, Column: 7},
	}}}
	return doc, m
}

// generateSeed runs Resolve and Render on the seed's document. unchecked is
// the file the template renders for it without the collision checks, and
// methods are oapi-codegen's ServerInterface methods; both are nil when
// oapi-codegen refuses the document, or declares a method twice or under a
// name that is no Go identifier (its own output would not compile).
func generateSeed(t *testing.T, s collisionSeed) (src []byte, genErr error, unchecked []byte, sigs []stubMethod) {
	t.Helper()
	doc, m := collisionDoc(s)
	resolved, _, genErr := Resolve(doc, Config{}, m)
	if genErr == nil {
		src, genErr = Render(resolved, Options{Package: "api"})
	}
	fresh, _ := collisionDoc(s)
	byRoute, err := methods(fresh, Config{})
	if err != nil {
		return src, genErr, nil, nil
	}
	seen := map[string]bool{}
	for _, d := range byRoute {
		if seen[d.name] || !token.IsIdentifier(d.name) || !token.IsExported(d.name) {
			return src, genErr, nil, nil
		}
		seen[d.name] = true
		sigs = append(sigs, stubMethod{d.name, d.params})
	}
	op := m.Operations[0]
	op.GoName, op.GoParams = byRoute[op.Route()].name, byRoute[op.Route()].params
	m.Operations = []model.Operation{op}
	data, err := newFileData(m, Options{Package: "api"})
	if err != nil {
		return src, genErr, nil, sigs
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		t.Fatalf("template: %v", err)
	}
	return src, genErr, buf.Bytes(), sigs
}

// FuzzOperationID: whatever the operationIds and the parameter name,
// generation either fails with a clear refusal (and a collision refusal
// only where the file would indeed not compile), or the file it generates
// type-checks beside oapi-codegen's ServerInterface.
func FuzzOperationID(f *testing.F) {
	for _, s := range collisionSeeds {
		f.Add(s.marked, s.unmarked, s.param)
	}
	f.Fuzz(func(t *testing.T, marked, unmarked, param string) {
		if marked == unmarked && marked != "" {
			t.Skip("load refuses a duplicate operationId")
		}
		s := collisionSeed{marked, unmarked, param}
		src, genErr, unchecked, methods := generateSeed(t, s)
		if genErr != nil {
			msg := genErr.Error()
			if strings.Contains(msg, "internal error") {
				t.Fatalf("%+v: %v", s, genErr)
			}
			if strings.Contains(msg, "a Go type cannot have a field and a method of one name") {
				if !strings.Contains(msg, "spec.yaml:5:7: POST /a/") && !strings.Contains(msg, "spec.yaml: POST /b:") {
					t.Errorf("%+v: the collision is not placed at its operation: %v", s, genErr)
				}
				if unchecked != nil && methods != nil && stubTypeCheck(unchecked, methods) == nil {
					t.Errorf("%+v: refused, but the file type-checks: %v", s, genErr)
				}
			}
			return
		}
		if methods == nil {
			return // oapi-codegen's own output would not compile
		}
		if err := stubTypeCheck(src, methods); err != nil {
			t.Errorf("%+v: generated without error, but the file does not type-check: %v\n%s", s, err, src)
		}
	})
}
