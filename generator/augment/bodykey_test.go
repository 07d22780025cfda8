package augment

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

func bodyKeyOp(method, path, pointer string, p model.Policy) model.Operation {
	p.Key = model.KeySource{InBody: true, Pointer: pointer}
	return op(method, path, p)
}

// A key in the body is documented as a body property, never as a header:
// added to the operation's own schema, checked where the author declared
// it or where the schema is shared, and warned about where it cannot be.
func TestBodyKeyIsABodyPropertyNotAHeader(t *testing.T) {
	const src = `openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /payments:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                amount: {type: integer}
      responses:
        "201": {description: created}
  /refunds:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Refund"}
      responses:
        "201": {description: created}
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Order"}
          text/plain:
            schema: {type: string}
      responses:
        "201": {description: created}
  /uploads:
    post:
      requestBody:
        content:
          application/octet-stream:
            schema: {type: string, format: binary}
      responses:
        "201": {description: created}
components:
  schemas:
    Refund:
      type: object
      properties:
        idempotency_key: {type: string}
    Order:
      type: object
      properties:
        item: {type: string}
`
	req := required(time.Hour)
	m := mdl("yaml",
		bodyKeyOp("POST", "/payments", "/idempotency_key", req),
		bodyKeyOp("POST", "/refunds", "/idempotency_key", req),
		bodyKeyOp("POST", "/orders", "/idempotency_key", model.DefaultPolicy),
		bodyKeyOp("POST", "/uploads", "/idempotency_key", model.DefaultPolicy),
	)
	out := mustAugment(t, src, m)
	if strings.Contains(out, "IdempotencyKey'") || strings.Contains(out, "in: header") {
		t.Errorf("a body key got a header parameter:\n%s", out)
	}
	added := "              required:\n                - idempotency_key\n"
	if !strings.Contains(out, "                idempotency_key:\n                  type: string\n                  minLength: 1\n                  maxLength: 256\n") || !strings.Contains(out, added) {
		t.Errorf("the inline schema did not gain the required key property:\n%s", out)
	}
	if strings.Count(out, "idempotency_key:") != 2 {
		t.Errorf("want the key property added once (plus the author's), got:\n%s", out)
	}
	for name, n := range map[string]int{"IdempotencyBodyKeyMissingOrInvalid": 2, "IdempotencyBodyKeyInvalid": 2, "IdempotencyBodyKeyInUse": 4, "IdempotencyBodyKeyRequestTooLarge": 4} {
		if got := strings.Count(out, "$ref: '#/components/responses/"+name+"'"); got != n {
			t.Errorf("%s referenced %d times, want %d", name, got, n)
		}
	}
	if !strings.Contains(out, "detail: This operation requires an idempotency key in the request body.") {
		t.Errorf("the 400 does not show the body's problem:\n%s", out)
	}

	r, err := Augment([]byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /orders: the application/json request body schema does not declare the idempotency key's property /idempotency_key (the schema is a $ref, maybe shared with other operations, so idemgen does not add it); declare it (type: string, maxLength: 256)",
		"POST /refunds: the application/json request body schema's property /idempotency_key holds the idempotency key but is not required, while x-idempotent makes the key required (a request without it gets 400)",
		"POST /uploads: takes its idempotency key from the request body at /idempotency_key, but declares neither a JSON nor a form request body, which are where the server looks for it; the key is not documented",
	}
	if got := slices.Sorted(slices.Values(r.Warnings)); !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A Swagger 2.0 body parameter or formData field that holds the key is
// checked; one that does not is warned about (nothing is added there).
func TestBodyKeySwagger2(t *testing.T) {
	const src = `swagger: "2.0"
info: {title: T, version: "1"}
paths:
  /payments:
    post:
      parameters:
        - in: body
          name: body
          schema:
            type: object
            required: [idempotency_key]
            properties:
              idempotency_key: {type: string}
      responses:
        "201": {description: created}
  /forms:
    post:
      consumes: [application/x-www-form-urlencoded]
      parameters:
        - {in: formData, name: idempotency_key, type: string}
      responses:
        "201": {description: created}
`
	m := mdl("yaml",
		bodyKeyOp("POST", "/payments", "/idempotency_key", required(time.Hour)),
		bodyKeyOp("POST", "/forms", "/idempotency_key", required(time.Hour)),
	)
	out := mustAugment(t, src, m)
	if strings.Contains(out, "in: header") {
		t.Errorf("a body key got a header parameter:\n%s", out)
	}
	r, err := Augment([]byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"POST /forms: its formData parameter idempotency_key holds the idempotency key but is not required, while x-idempotent makes the key required (a request without it gets 400)"}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings %q, want %q", r.Warnings, want)
	}
}
