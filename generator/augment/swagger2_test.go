package augment

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

// A Swagger 2.0 document keeps its reusable objects at the top level:
// the contract goes into parameters, responses and definitions there, and
// the replay header, which Swagger 2.0 cannot share, is written inline.
const swaggerYAML = `# Orders API (Swagger 2.0), kept by hand
swagger: "2.0"
info: {title: Orders, version: "1.0"}
produces:
  - application/json
paths:
  /orders:
    # create an order
    post:
      operationId: createOrder
      x-idempotent: true
      parameters:
        - name: body
          in: body
          schema: {$ref: "#/definitions/Order"}
      responses:
        "201":
          description: created   # trailing comment
          schema: {$ref: "#/definitions/Order"}
        default:
          $ref: "#/responses/Failure"
    get:
      responses:
        "200": {description: list}
  /orders/{id}/cancel:
    parameters:
      - $ref: "#/parameters/OrderID"
    post:
      x-idempotent: {required: true, ttl: 48h}
      parameters:
        - $ref: "#/parameters/Key"
      responses:
        "200": {description: cancelled}
        "409": {description: already shipped}
definitions:
  Order:
    type: object
  # someone else's error shape
  Problem:
    type: object
    properties:
      message: {type: string}
parameters:
  OrderID: {name: id, in: path, required: true, type: string}
  Key: {name: IDEMPOTENCY-KEY, in: header, type: string}
responses:
  Failure:
    description: failure
    schema: {$ref: "#/definitions/Problem"}
`

func TestSwagger2YAML(t *testing.T) {
	m := mdl("yaml", op("POST", "/orders"), op("POST", "/orders/{id}/cancel", required(48*time.Hour)))
	m.Operations[1].DeclaresKeyHeader = true
	r, err := Augment([]byte(swaggerYAML), m)
	if err != nil {
		t.Fatal(err)
	}
	out := mustAugment(t, swaggerYAML, m)
	if out != string(r.Spec) {
		t.Fatal("Augment and Spec differ")
	}
	replayed := "Idempotency-Replayed:\n" +
		"              description: 'true on a replay: the stored response to an earlier request with the same Idempotency-Key, sent without running the operation again.'\n" +
		"              type: string\n              enum:\n                - 'true'\n" +
		"            Idempotency-Replay:\n" +
		"              description: 'omitted on a replay whose body was not stored: "
	for _, want := range []string{
		// The key parameter, referenced from the operation; the variant
		// is named as in OpenAPI 3 (the cancel operation's policy differs,
		// but it declares its own header in another letter case).
		"          schema: {$ref: \"#/definitions/Order\"}\n        - $ref: '#/parameters/IdempotencyKey'\n      responses:\n",
		"parameters:\n  OrderID: {name: id, in: path, required: true, type: string}\n  Key: {name: IDEMPOTENCY-KEY, in: header, type: string}\n" +
			"  IdempotencyKey:\n    name: Idempotency-Key\n    in: header\n    required: false\n    description: 'Optional: a request without it runs with no protection against duplicates. ",
		"    type: string\n    minLength: 1\n    maxLength: 256\nresponses:\n",
		// The replay header, inline: block, flow, and in the shared
		// response only marked operations use.
		"          schema: {$ref: \"#/definitions/Order\"}\n          headers:\n            " + replayed,
		`"200": {description: cancelled, headers: {Idempotency-Replayed: {description: 'true on a replay: `,
		"    schema: {$ref: \"#/definitions/Problem\"}\n    headers:\n      Idempotency-Replayed:\n",
		// Problem responses as $refs to top-level responses, whose body is
		// the Problem schema under a name that leaves the author's alone.
		// Each operation's 400 names key_missing only where its key is
		// required.
		"        '400':\n          $ref: '#/responses/IdempotencyKeyInvalid'\n",
		"        '400':\n          $ref: '#/responses/IdempotencyKeyMissingOrInvalid'\n",
		"  # someone else's error shape\n  Problem:\n    type: object\n    properties:\n      message: {type: string}\n  IdempotencyProblem:\n    type: object\n",
		"  IdempotencyKeyInUse:\n    description: A request with the same Idempotency-Key is still being processed. Retry after the Retry-After delay with the same key.\n" +
			"    headers:\n      Retry-After:\n        description: Seconds to wait before retrying with the same key.\n        type: integer\n" +
			"    schema:\n      $ref: '#/definitions/IdempotencyProblem'\n" +
			"    examples:\n      application/problem+json:\n        type: 'urn:idemgen:problem:idempotency_key_in_use'\n",
		// 400 carries the first of its problems as its one example.
		"    examples:\n      application/problem+json:\n        type: 'urn:idemgen:problem:idempotency_key_missing'\n",
		"  IdempotencyKeyInvalid:\n    description: 'The Idempotency-Key header is invalid: empty, longer than 256 bytes,",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "name: Idempotency-Key"); n != 1 {
		t.Errorf("%d key parameters, want 1 (the cancel operation declares its own):\n%s", n, out)
	}
	if strings.Contains(out, "components") || strings.Contains(out, "content:") {
		t.Errorf("OpenAPI 3 syntax in a Swagger 2.0 document:\n%s", out)
	}
	// The unmarked GET is left alone.
	if strings.Contains(out, `"200": {description: list}`+"\n") == false {
		t.Errorf("the unmarked operation changed:\n%s", out)
	}
	// The author's 409 stays, with the same warning as in OpenAPI 3.
	if !slices.Contains(r.Warnings, "POST /orders/{id}/cancel: declares its own 409 response, which stays; it does not document idempotency_key_in_use") {
		t.Errorf("warnings: %q", r.Warnings)
	}
	if !strings.Contains(out, "        \"409\": {description: already shipped, headers: {Idempotency-Replayed: ") || strings.Count(out, "#/responses/IdempotencyKeyInUse") != 1 {
		t.Errorf("the author's 409 was not kept as the only 409:\n%s", out)
	}
	if !slices.Contains(r.Warnings, "POST /orders/{id}/cancel: declares its own Idempotency-Key header without required: true, but x-idempotent makes the key required (a request without it gets 400)") {
		t.Errorf("no warning for the author's optional header: %q", r.Warnings)
	}
	// On its own output there is nothing left to say.
	r2, err := Augment([]byte(out), m)
	if err != nil || string(r2.Spec) != out {
		t.Fatalf("second run: %v", err)
	}
	for _, w := range r2.Warnings {
		if !strings.Contains(w, "declares its own") {
			t.Errorf("second run warns: %s", w)
		}
	}
}

// TestSwagger2SharedResponseUsedElsewhere: a top-level response that an
// unmarked operation uses too does not claim to be replayed.
func TestSwagger2SharedResponseUsedElsewhere(t *testing.T) {
	src := "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      responses:\n        '200': {$ref: '#/responses/OK'}\n    get:\n      responses:\n        '200': {$ref: '#/responses/OK'}\nresponses:\n  OK: {description: ok}\n"
	m := mdl("yaml", op("POST", "/a"))
	r, err := Augment([]byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"responses.OK is also used outside idempotent operations; Idempotency-Replayed is not documented on it"}; !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings = %q, want %q", r.Warnings, want)
	}
	out := mustAugment(t, src, m)
	if strings.Contains(out, "Idempotency-Replayed:\n") || !strings.Contains(out, "\n  OK: {description: ok}\n") {
		t.Errorf("the shared response claims replay:\n%s", out)
	}
}

const swaggerJSON = `{
  "swagger": "2.0",
  "info": {"title": "J", "version": "1"},
  "paths": {
    "/orders/{id}": {
      "patch": {
        "parameters": [
          {"name": "id", "in": "path", "required": true, "type": "string"}
        ],
        "responses": {
          "200": {
            "description": "ok"
          }
        }
      }
    }
  }
}
`

func TestSwagger2JSON(t *testing.T) {
	m := mdl("json", op("PATCH", "/orders/{id}", required(time.Hour)))
	out := mustAugment(t, swaggerJSON, m)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	for _, want := range []string{
		"          {\"name\": \"id\", \"in\": \"path\", \"required\": true, \"type\": \"string\"},\n          {\n            \"$ref\": \"#/parameters/IdempotencyKey\"\n          }\n",
		"            \"description\": \"ok\",\n            \"headers\": {\n              \"Idempotency-Replayed\": {\n",
		"          \"503\": {\n            \"$ref\": \"#/responses/IdempotencyStoreUnavailable\"\n          }\n",
		"  },\n  \"definitions\": {\n    \"Problem\": {\n",
		"  \"parameters\": {\n    \"IdempotencyKey\": {\n      \"name\": \"Idempotency-Key\",\n      \"in\": \"header\",\n      \"required\": true,\n",
		"      \"schema\": {\n        \"$ref\": \"#/definitions/Problem\"\n      },\n      \"examples\": {\n        \"application/problem+json\": {\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, k := range []string{"definitions", "parameters", "responses"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("no top-level %s", k)
		}
	}
	if _, ok := doc["components"]; ok {
		t.Errorf("components in a Swagger 2.0 document")
	}
}

// TestSwagger2ReusesEqualComponents: an author's definitions, parameters
// and responses equal to ours are referenced, not duplicated; variants
// get the OpenAPI 3 names.
func TestSwagger2ReusesEqualComponents(t *testing.T) {
	src := "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      responses:\n        '200':\n          description: ok\n  /b:\n    put:\n      responses:\n        '200':\n          description: ok\n"
	m := mdl("yaml", op("POST", "/a", required(48*time.Hour)), op("PUT", "/b"))
	first := mustAugment(t, src, m)
	for _, want := range []string{"#/parameters/IdempotencyKeyRequiredTTL48h'", "#/parameters/IdempotencyKey'", "\nparameters:\n  IdempotencyKeyRequiredTTL48h:\n"} {
		if !strings.Contains(first, want) {
			t.Errorf("output lacks %q:\n%s", want, first)
		}
	}
	// The author then marks one more operation, with one of the two
	// policies: only its references are new.
	src2 := strings.Replace(first, "paths:\n", "paths:\n  /c:\n    post:\n      responses:\n        '200':\n          description: ok\n", 1)
	second := mustAugment(t, src2, mdl("yaml", op("POST", "/a", required(48*time.Hour)), op("PUT", "/b"), op("POST", "/c", required(48*time.Hour))))
	if strings.Count(second, "name: Idempotency-Key") != 2 || strings.Count(second, "  Problem:\n") != 1 || strings.Count(second, "  IdempotencyKeyInUse:\n") != 1 {
		t.Errorf("components were added again:\n%s", second)
	}
	if strings.Count(second, "$ref: '#/parameters/IdempotencyKeyRequiredTTL48h'") != 2 {
		t.Errorf("the new operation does not reuse its variant:\n%s", second)
	}
}

func TestSwagger2OverlayMatchesSpec(t *testing.T) {
	m := mdl("yaml", op("POST", "/orders"), op("POST", "/orders/{id}/cancel", required(48*time.Hour)))
	m.Operations[1].DeclaresKeyHeader = true
	overlayMatchesSpec(t, swaggerYAML, m)
	overlayMatchesSpec(t, swaggerJSON, mdl("json", op("PATCH", "/orders/{id}", model.Policy{Required: true, TTL: time.Hour})))
}

// The Swagger 2.0 checks above mean something only if validate rejects a
// broken Swagger 2.0 document.
func TestValidateReadsSwagger2(t *testing.T) {
	ok := "swagger: '2.0'\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      parameters: [{$ref: '#/parameters/K'}]\n      responses: {'200': {description: ok}}\nparameters:\n  K: {name: K, in: header, type: string}\n"
	if err := validate([]byte(ok)); err != nil {
		t.Fatalf("valid document refused: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(ok, "#/parameters/K", "#/parameters/Missing", 1),
		strings.Replace(ok, "type: string", "type: strin", 1),
	} {
		if err := validate([]byte(bad)); err == nil {
			t.Errorf("broken document accepted:\n%s", bad)
		}
	}
}
