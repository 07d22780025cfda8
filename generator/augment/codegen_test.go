package augment

import (
	"regexp"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/idemgen/idemgen/generator/model"
)

// TestCodegenClientGetsKeyParam: oapi-codegen run on the augmented spec
// gives clients an IdempotencyKey parameter (of a string type named after
// the component), a pointer where the key is optional and a value where it
// is required.
func TestCodegenClientGetsKeyParam(t *testing.T) {
	src := `openapi: 3.0.3
info: {title: Payments, version: "1"}
paths:
  /payments:
    post:
      operationId: createPayment
      responses:
        '201': {description: created}
  /payments/{id}/refunds:
    post:
      operationId: refundPayment
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '201': {description: created}
`
	m := mdl("yaml", op("POST", "/payments"), op("POST", "/payments/{id}/refunds", model.Policy{Required: true, TTL: 48 * time.Hour}))
	out, err := Spec([]byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(out)
	if err != nil {
		t.Fatal(err)
	}
	code, err := codegen.Generate(doc, codegen.Configuration{
		PackageName: "payments",
		Generate:    codegen.GenerateOptions{Client: true, Models: true},
	})
	if err != nil {
		t.Fatalf("oapi-codegen: %v", err)
	}
	for _, re := range []string{
		`type IdempotencyKey = string\n`,
		`type IdempotencyKeyRequiredTTL48h = string\n`,
		`(?s)type CreatePaymentParams struct \{[^}]*\tIdempotencyKey \*IdempotencyKey ` + "`" + `json:"Idempotency-Key,omitempty"` + "`" + `\n\}`,
		`(?s)type RefundPaymentParams struct \{[^}]*\tIdempotencyKey IdempotencyKeyRequiredTTL48h ` + "`" + `json:"Idempotency-Key"` + "`" + `\n\}`,
		`func \(c \*Client\) CreatePayment\(ctx context.Context, params \*CreatePaymentParams`,
		`req.Header\["Idempotency-Key"\]|req.Header.Set\("Idempotency-Key"`,
	} {
		if !regexp.MustCompile(re).MatchString(code) {
			t.Errorf("generated client lacks %s", re)
		}
	}
}
