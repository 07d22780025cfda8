package gocode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

const refHead = `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      operationId: createA
      x-idempotent: true
`

// TestResolveRefCycles: a $ref that kin-openapi leaves without a value
// (it loads these documents without an error) is refused before
// oapi-codegen dereferences it, at the $ref, naming the cycle.
func TestResolveRefCycles(t *testing.T) {
	cases := map[string]struct{ spec, want string }{
		"self": {refHead + `      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/A"}
      responses: {"201": {description: ok}}
components:
  schemas:
    A:
      $ref: "#/components/schemas/A"
`, `:16:7: $ref "#/components/schemas/A" cannot be resolved: schema A is only a $ref to itself (A -> A), so it is never defined; write its definition in place of the $ref`},
		"pair, unused": {refHead + `      responses: {"201": {description: ok}}
components:
  schemas:
    B:
      $ref: "#/components/schemas/A"
    A:
      $ref: "#/components/schemas/B"
`, `:12:7: $ref "#/components/schemas/A" cannot be resolved: the schemas B and A are only $refs to each other (B -> A -> B), so none of them is defined; write the definition in place of one of the $refs`},
		"chain into a cycle": {refHead + `      responses: {"201": {description: ok}}
components:
  schemas:
    C:
      $ref: "#/components/schemas/A"
    A:
      $ref: "#/components/schemas/A"
`, `:14:7: $ref "#/components/schemas/A" cannot be resolved: schema A is only a $ref to itself (A -> A)`},
		"parameter": {refHead + `      parameters: [{$ref: "#/components/parameters/P"}]
      responses: {"201": {description: ok}}
components:
  parameters:
    P:
      $ref: "#/components/parameters/P"
`, `:13:7: $ref "#/components/parameters/P" cannot be resolved: parameter P is only a $ref to itself (P -> P)`},
		"request body": {refHead + `      requestBody: {$ref: "#/components/requestBodies/B"}
      responses: {"201": {description: ok}}
components:
  requestBodies:
    B:
      $ref: "#/components/requestBodies/B"
`, `:13:7: $ref "#/components/requestBodies/B" cannot be resolved: request body B is only a $ref to itself (B -> B)`},
		"response": {refHead + `      responses: {"201": {$ref: "#/components/responses/R"}}
components:
  responses:
    R:
      $ref: "#/components/responses/R"
`, `:12:7: $ref "#/components/responses/R" cannot be resolved: response R is only a $ref to itself (R -> R)`},
		"header": {refHead + `      responses: {"201": {description: ok, headers: {X: {$ref: "#/components/headers/H"}}}}
components:
  headers:
    H:
      $ref: "#/components/headers/H"
`, `:12:7: $ref "#/components/headers/H" cannot be resolved: header H is only a $ref to itself (H -> H)`},
		"another file's cycle": {refHead + `      requestBody:
        content:
          application/json:
            schema:
              $ref: "other.yaml#/components/schemas/X"
      responses: {"201": {description: ok}}
`, `:12:15: $ref "other.yaml#/components/schemas/X" cannot be resolved: it leads into a cycle of $refs with no definition in it`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			spec := writeSpec(t, c.spec)
			other := "openapi: 3.0.3\ninfo: {title: o, version: \"1\"}\npaths: {}\ncomponents:\n  schemas:\n    X:\n      $ref: \"#/components/schemas/X\"\n"
			if err := os.WriteFile(filepath.Join(filepath.Dir(spec), "other.yaml"), []byte(other), 0o644); err != nil {
				t.Fatal(err)
			}
			doc := loadDoc(t, spec)
			_, _, err := Resolve(doc, Config{}, markAll(doc, spec))
			if err == nil || !strings.HasPrefix(err.Error(), spec+c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error:\n%v\nwant one line starting:\n%s%s", err, spec, c.want)
			}
		})
	}
}

// TestResolveRecursiveSchemas: a schema that refers to itself from inside
// its definition is a recursive type, which oapi-codegen generates.
func TestResolveRecursiveSchemas(t *testing.T) {
	spec := writeSpec(t, refHead+`      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Node"}
      responses: {"201": {description: ok}}
components:
  schemas:
    Node:
      type: object
      properties:
        next: {$ref: "#/components/schemas/Node"}
        all: {type: array, items: {$ref: "#/components/schemas/Node"}}
    Both:
      allOf: [{$ref: "#/components/schemas/Node"}, {$ref: "#/components/schemas/Both"}]
    Pet:
      oneOf: [{$ref: "#/components/schemas/Node"}]
      discriminator:
        propertyName: kind
        mapping: {node: "#/components/schemas/Node"}
`)
	doc := loadDoc(t, spec)
	if _, _, err := Resolve(doc, Config{}, markAll(doc, spec)); err != nil {
		t.Fatal(err)
	}
}

// TestRefCyclesWithoutOrigins: Swagger 2.0 input carries no positions; the
// error still names the document and the cycle.
func TestRefCyclesWithoutOrigins(t *testing.T) {
	doc := &openapi3.T{OpenAPI: "3.0.3", Info: &openapi3.Info{Title: "t", Version: "1"}, Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{
			"A": {Ref: "#/components/schemas/B"}, "B": {Ref: "#/components/schemas/C"}, "C": {Ref: "#/components/schemas/A"},
		}}}
	_, _, err := Resolve(doc, Config{}, model.Model{Source: "swagger.yaml"})
	want := `swagger.yaml: $ref "#/components/schemas/B" cannot be resolved: the schemas A, B and C are only $refs to each other (A -> B -> C -> A)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

func TestLocalComponent(t *testing.T) {
	for ref, want := range map[string]string{
		"#/components/schemas/A":     "schemas/A",
		"#/components/schemas/a~1b":  "schemas/a/b",
		"#/components/schemas/a~0b":  "schemas/a~b",
		"other.yaml#/components/x/A": "",
		"#/components/schemas/A/x":   "",
		"#/definitions/A":            "",
	} {
		got, ok := localComponent(ref)
		if got != want || ok != (want != "") {
			t.Errorf("localComponent(%q) = %q, %v; want %q", ref, got, ok, want)
		}
	}
}
