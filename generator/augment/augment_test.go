package augment

import (
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

const yamlWithComments = `# Payments API: reviewed by hand
openapi: 3.0.3
info: {title: Payments, version: "1.0"}   # flow map kept as written
paths:
  /payments:
    # creating a payment
    post:
      operationId: createPayment
      x-idempotent: true
      parameters:
        - name: X-Trace
          in: header
          schema: {type: string}
      responses:
        '201':
          description: created  # trailing comment
          content:
            application/json:
              schema: {type: object}
        default: {description: error}
    get:
      responses:
        "200": {description: list}
components:
  # shared schemas
  schemas:
    Payment:
      type: object
`

func TestYAMLCommentsAndFlowMaps(t *testing.T) {
	out := mustAugment(t, yamlWithComments, mdl("yaml", op("POST", "/payments")))
	for _, want := range []string{
		"          schema: {type: string}\n        - $ref: '#/components/parameters/IdempotencyKey'\n      responses:\n",
		"              schema: {type: object}\n          headers:\n            Idempotency-Replayed:\n              $ref: '#/components/headers/IdempotencyReplayed'\n" +
			"            Idempotency-Replay:\n              $ref: '#/components/headers/IdempotencyReplay'\n",
		"        default: {description: error, headers: {Idempotency-Replayed: {$ref: '#/components/headers/IdempotencyReplayed'}, Idempotency-Replay: {$ref: '#/components/headers/IdempotencyReplay'}}}\n" +
			"        '400':\n          $ref: '#/components/responses/IdempotencyKeyInvalid'\n",
		"  '503':\n          $ref: '#/components/responses/IdempotencyStoreUnavailable'\n    get:\n",
		"components:\n  # shared schemas\n  schemas:\n    Payment:\n      type: object\n    Problem:\n",
		"  parameters:\n    IdempotencyKey:\n      name: Idempotency-Key\n      in: header\n      required: false\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The runtime caps the body at 1 MiB by default, so every marked
	// operation documents 413, maxRequestBytes or not.
	if n := strings.Count(out, "$ref: '#/components/responses/IdempotencyRequestTooLarge'"); n != 1 {
		t.Errorf("413 referenced %d times, want once, from the marked operation:\n%s", n, out)
	}
	// The GET is not marked and must stay as it was.
	if strings.Count(out, "headers/IdempotencyReplayed") != 2 {
		t.Errorf("replay header on unmarked responses:\n%s", out)
	}
}

const prettyJSON = `{
    "openapi": "3.1.0",
    "info": {"title": "J", "version": "1"},
    "paths": {
        "/orders/{id}": {
            "patch": {
                "operationId": "updateOrder",
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}
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

func TestJSONStaysJSONAndOnlyGainsLines(t *testing.T) {
	m := mdl("json", op("PATCH", "/orders/{id}", model.Policy{Required: true, TTL: 48 * time.Hour, MaxRequestBytes: 1 << 20}))
	out := mustAugment(t, prettyJSON, m)
	if _, n, _ := onlyAdds(prettyJSON, out); n != 0 {
		t.Errorf("pretty JSON changed %d lines in place:\n%s", n, out)
	}
	if !strings.HasSuffix(out, "    }\n}\n") || !strings.HasPrefix(out, "{\n    \"openapi\": \"3.1.0\",\n") {
		t.Errorf("components not appended at the end of the root:\n%s", out)
	}
	for _, want := range []string{
		"\"schema\": {\"type\": \"string\"}},\n                    {\n                        \"$ref\": \"#/components/parameters/IdempotencyKey\"\n                    }\n                ],\n",
		`"413": {`,
		`"required": true`,
		"48h",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestMinifiedJSON(t *testing.T) {
	src := `{"openapi":"3.0.0","info":{"title":"m","version":"1"},"paths":{"/a":{"post":{"responses":{"200":{"description":"ok"}}}}}}`
	out := mustAugment(t, src, mdl("json", op("POST", "/a")))
	if strings.Count(out, "\n") != 0 {
		t.Errorf("minified JSON gained line breaks:\n%s", out)
	}
}

func TestExistingHeaderInOtherCase(t *testing.T) {
	src := `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /a:
    post:
      parameters:
        - {name: idempotency-key, in: header, schema: {type: string}}
      responses:
        '200':
          description: ok
          headers:
            idempotency-replayed: {schema: {type: string}}
  /b:
    parameters:
      - $ref: '#/components/parameters/Key'
    post:
      responses:
        '200': {description: ok}
components:
  parameters:
    Key: {name: IDEMPOTENCY-KEY, in: header, schema: {type: string}}
`
	out := mustAugment(t, src, mdl("yaml", op("POST", "/a"), op("POST", "/b")))
	if strings.Contains(out, "parameters/IdempotencyKey") {
		t.Errorf("a second key parameter was added:\n%s", out)
	}
	if strings.Count(out, "headers/IdempotencyReplayed") != 1 { // only /b's 200
		t.Errorf("replay header duplicated or missing:\n%s", out)
	}
}

func TestNoComponents(t *testing.T) {
	src := "openapi: 3.0.0\ninfo:\n  title: t\n  version: '1'\npaths:\n  /a:\n    put:\n      responses:\n        '204':\n          description: done"
	out := mustAugment(t, src, mdl("yaml", op("PUT", "/a")))
	if !strings.Contains(out, "          description: done\n          headers:\n") ||
		!strings.Contains(out, "      parameters:\n        - $ref: '#/components/parameters/IdempotencyKey'\ncomponents:\n  parameters:\n") {
		t.Errorf("components not appended at the end:\n%s", out)
	}
}

func TestRefResponses(t *testing.T) {
	src := `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /a:
    post:
      responses:
        '200': {$ref: '#/components/responses/Mine'}
        '404': {$ref: '#/components/responses/NotFound'}
  /b:
    get:
      responses:
        '404': {$ref: '#/components/responses/NotFound'}
components:
  responses:
    Mine:
      description: only used by /a
    NotFound:
      description: shared
`
	r, err := Augment([]byte(src), mdl("yaml", op("POST", "/a")))
	if err != nil {
		t.Fatal(err)
	}
	out := mustAugment(t, src, mdl("yaml", op("POST", "/a")))
	if !strings.Contains(out, "    Mine:\n      description: only used by /a\n      headers:\n        Idempotency-Replayed:") {
		t.Errorf("exclusive response component lacks the header:\n%s", out)
	}
	if strings.Contains(out, "    NotFound:\n      headers") {
		t.Errorf("shared response component was edited:\n%s", out)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "NotFound") {
		t.Errorf("warnings = %q", r.Warnings)
	}
}

func TestNamesDoNotClobber(t *testing.T) {
	src := `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /a:
    post:
      responses:
        '200': {description: ok}
components:
  schemas:
    Problem: {type: string}
  parameters:
    IdempotencyKey: {name: page, in: query, schema: {type: integer}}
`
	out := mustAugment(t, src, mdl("yaml", op("POST", "/a")))
	for _, want := range []string{"#/components/schemas/IdempotencyProblem", "#/components/parameters/IdempotencyKey2", "Problem: {type: string}"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestVariantsPerRequiredAndTTL(t *testing.T) {
	src := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      responses: {'200': {description: ok}}\n    patch:\n      responses: {'200': {description: ok}}\n  /b:\n    post:\n      responses: {'200': {description: ok}}\n"
	m := mdl("yaml", op("PATCH", "/a"), op("POST", "/a", required(48*time.Hour)), op("POST", "/b", required(24*time.Hour)))
	out := mustAugment(t, src, m)
	for _, want := range []string{"parameters/IdempotencyKey'", "parameters/IdempotencyKeyRequiredTTL48h'", "parameters/IdempotencyKeyRequired'"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestEmptyValuesAndCRLF(t *testing.T) {
	src := "openapi: 3.0.0\r\ninfo: {title: t, version: '1'}\r\npaths:\r\n  /a:\r\n    post:\r\n      parameters:\r\n      responses:\r\n        '200':\r\n          description: ok\r\n"
	out := mustAugment(t, src, mdl("yaml", op("POST", "/a")))
	if strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Errorf("line endings mixed:\n%q", out)
	}
	if !strings.Contains(out, "      parameters:\r\n        - $ref:") {
		t.Errorf("empty parameters not filled:\n%s", out)
	}
}

func TestBadInputNamesThePlace(t *testing.T) {
	src := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      parameters: 7\n      responses: {'200': {description: ok}}\n"
	_, err := Spec([]byte(src), mdl("yaml", op("POST", "/a")))
	if err == nil || !strings.HasPrefix(err.Error(), "spec.yaml:6:19:") {
		t.Fatalf("err = %v", err)
	}
}

func TestJSONEmptyCollectionsAndTabs(t *testing.T) {
	src := "{\n\t\"openapi\": \"3.0.0\",\n\t\"info\": {\"title\": \"t\", \"version\": \"1\"},\n\t\"paths\": {\n\t\t\"/a\": {\n\t\t\t\"post\": {\n\t\t\t\t\"parameters\": [],\n\t\t\t\t\"responses\": {\"200\": {\"description\": \"ok\"}}\n\t\t\t}\n\t\t}\n\t},\n\t\"components\": {}\n}\n"
	out := mustAugment(t, src, mdl("json", op("POST", "/a")))
	for _, want := range []string{
		"\t\t\t\t\"parameters\": [\n\t\t\t\t\t{\n\t\t\t\t\t\t\"$ref\": \"#/components/parameters/IdempotencyKey\"\n\t\t\t\t\t}\n\t\t\t\t],\n",
		"\t\"components\": {\n\t\t\"parameters\": {\n",
		"\n\t}\n}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestLaterRunReusesComponents: after the author marks one more operation
// with another policy, the second run reuses what the first added, under
// whatever name it got, and adds only what is new.
func TestLaterRunReusesComponents(t *testing.T) {
	src := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      responses:\n        '200':\n          description: ok\n  /b:\n    post:\n      responses:\n        '200':\n          description: ok\n"
	first := mustAugment(t, src, mdl("yaml", op("POST", "/a", required(time.Hour))))
	second := mustAugment(t, first, mdl("yaml", op("POST", "/a", required(time.Hour)), op("POST", "/b", required(time.Hour))))
	if strings.Count(second, "name: Idempotency-Key") != 1 {
		t.Errorf("a second, identical key parameter was added:\n%s", second)
	}
	third := mustAugment(t, first, mdl("yaml", op("POST", "/a", required(time.Hour)), op("POST", "/b")))
	if strings.Count(third, "name: Idempotency-Key") != 2 || strings.Count(third, "Problem:") != 1 {
		t.Errorf("want one more key parameter and the same Problem schema:\n%s", third)
	}
}
