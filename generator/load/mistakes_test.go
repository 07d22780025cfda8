package load

import (
	"context"
	"strings"
	"testing"
)

func TestNearMarker(t *testing.T) {
	cases := []struct {
		key   string
		value any
		want  bool
	}{
		{"x-idempotent", true, false},
		{"X-Idempotent", true, true},
		{"X-IDEMPOTENT", "yes", true},
		{"x_idempotent", map[string]any{}, true},
		{"x-idem-potent", true, true},
		{"x-idempotant", true, true},
		{"x-idempotnet", true, true},
		{"x-idempotency", true, true},
		{"x-idempotence", "a string", true},
		{"idempotent", true, true},
		{"Idempotent", 1.0, true},
		{"idempotency", true, true},
		{"x-idempotent-key", true, true},
		{"x-idempotency-enabled", map[string]any{"ttl": "1h"}, true},
		// Another tool's settings: not what x-idempotent takes.
		{"x-idempotency-header", "Idempotency-Key", false},
		{"x-idempotency-key-location", "header", false},
		{"idempotency_key", "field", false},
		// Other extensions and fields.
		{"x-internal", true, false},
		{"x-codegen-request-body-name", "body", false},
		{"x-amazon-apigateway-integration", map[string]any{}, false},
		{"x-important", true, false},
		{"$ref", "#/x", false},
	}
	for _, c := range cases {
		if got := nearMarker(c.key, c.value); got != c.want {
			t.Errorf("nearMarker(%q, %v) = %t, want %t", c.key, c.value, got, c.want)
		}
	}
}

// TestMistakesInReferencedFiles: a misspelt marker, a marker on a path
// item and an operation $ref are each placed in the file that holds them,
// here a path item's own file.
func TestMistakesInReferencedFiles(t *testing.T) {
	p := write(t, "spec.yaml", head+`  /a:
    $ref: "paths/a.yaml"
  /b:
    post:
      $ref: "paths/a.yaml#/post"
`, "paths/a.yaml", `x-idempotent: {ttl: 1h}
post:
  operationId: makeA
  X-Idempotent: true
  responses: {"200": {description: ok}}
`)
	got := loadErr(t, p, Options{})
	for _, want := range []string{
		"paths/a.yaml:1:1: x-idempotent: idemgen reads the marker on operations only and would ignore it on the path item /a; move it into each operation it marks (post)",
		"paths/a.yaml:4:3: X-Idempotent: did you mean x-idempotent?",
		`spec.yaml:8:7: $ref "paths/a.yaml#/post": an Operation object cannot be a $ref`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

// TestMistakesInSwagger2: kin-openapi keeps no positions for Swagger 2.0;
// the keys are found in the file.
func TestMistakesInSwagger2(t *testing.T) {
	p := write(t, "spec.yaml", `swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /a:
    x-idempotent: true
    post:
      x-idempotency: true
      responses: {"200": {description: ok}}
    put:
      $ref: "#/x"
`)
	got := loadErr(t, p, Options{})
	for _, want := range []string{"spec.yaml:5:5: x-idempotent: idemgen reads", "spec.yaml:7:7: x-idempotency: did you mean", `spec.yaml:10:7: $ref "#/x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("errors lack %q:\n%s", want, got)
		}
	}
}

// TestUnknownMarkMethod: a method no operation can have marks nothing, so
// it is refused; a method the document itself declares (OpenAPI 3.2's
// additionalOperations) is not.
func TestUnknownMarkMethod(t *testing.T) {
	p := write(t, "spec.yaml", head+"  /a:\n    post:\n      responses: {\"200\": {description: ok}}\n")
	_, err := Load(context.Background(), p, Options{MarkMethods: []string{"post", "POTS", "Purge"}})
	want := "cannot mark POTS operations idempotent: POTS is not a method OpenAPI names, and no operation of the document has it (did you mean POST?); " +
		"the methods that can be marked are POST, PUT, PATCH, DELETE\n" +
		"cannot mark PURGE operations idempotent: PURGE is not a method OpenAPI names, and no operation of the document has it; " +
		"the methods that can be marked are POST, PUT, PATCH, DELETE"
	if err == nil || err.Error() != want {
		t.Errorf("error:\n%v\nwant:\n%s", err, want)
	}
	// PUT marks nothing in this document, but it is a method to mark.
	if _, err := Load(context.Background(), p, Options{MarkMethods: []string{"POST", "PUT", "DELETE"}}); err != nil {
		t.Errorf("standard methods refused: %v", err)
	}

	p32 := write(t, "spec.yaml", `openapi: 3.2.0
info: {title: t, version: "1"}
paths:
  /a:
    additionalOperations:
      PURGE:
        responses: {"200": {description: ok}}
`)
	r, err := Load(context.Background(), p32, Options{MarkMethods: []string{"purge"}})
	if err != nil {
		t.Fatalf("a method the document declares: %v", err)
	}
	if len(r.Model.Operations) != 1 || r.Model.Operations[0].Route() != "PURGE /a" {
		t.Errorf("operations = %+v", r.Model.Operations)
	}
}
