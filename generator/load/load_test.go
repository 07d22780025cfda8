package load

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

// write puts files into a temporary directory and returns the path of the
// first one named.
func write(t *testing.T, files ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i+1 < len(files); i += 2 {
		p := filepath.Join(dir, files[i])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[i+1]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, files[0])
}

const head = "openapi: 3.0.3\ninfo: {title: Pay, version: \"2\"}\npaths:\n"

func loadErr(t *testing.T, path string, opts Options) string {
	t.Helper()
	_, err := Load(context.Background(), path, opts)
	if err == nil {
		t.Fatal("Load succeeded, want an error")
	}
	if _, ok := err.(Errors); !ok {
		t.Fatalf("error is %T, want load.Errors: %v", err, err)
	}
	return strings.ReplaceAll(err.Error(), filepath.Dir(path)+string(filepath.Separator), "")
}

func TestPolicyForms(t *testing.T) {
	p := write(t, "spec.yaml", head+`  /b:
    post:
      x-idempotent:
        required: true
        ttl: 48h
        scopeHeaders: [Authorization, X-Tenant]
        storeServerErrors: true
        maxRequestBytes: 1048576
        maxResponseBytes: 2048
        wait: 5s
        transaction: true
      responses: {"200": {description: ok}}
  /a:
    put:
      x-idempotent: true
      responses: {"200": {description: ok}}
    post:
      x-idempotent: false
      responses: {"200": {description: ok}}
    delete:
      operationId: del
      x-idempotent: {required: true}
      responses: {"200": {description: ok}}
`)
	r, err := Load(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Model
	if m.Title != "Pay" || m.Version != "2" || m.Format != "yaml" || m.Source != p {
		t.Errorf("header = %q %q %q %q", m.Title, m.Version, m.Format, m.Source)
	}
	var routes []string
	for _, op := range m.Operations {
		routes = append(routes, op.Route())
	}
	if want := []string{"DELETE /a", "PUT /a", "POST /b"}; !reflect.DeepEqual(routes, want) {
		t.Fatalf("routes = %v, want %v", routes, want)
	}
	if got := m.Operations[0].Policy; !reflect.DeepEqual(got, model.Policy{Required: true, TTL: 24 * time.Hour}) {
		t.Errorf("object with required only = %+v", got)
	}
	if got := m.Operations[1].Policy; !reflect.DeepEqual(got, model.DefaultPolicy) {
		t.Errorf("true = %+v", got)
	}
	want := model.Policy{Required: true, TTL: 48 * time.Hour, ScopeHeaders: []string{"Authorization", "X-Tenant"},
		StoreServerErrors: true, MaxRequestBytes: 1 << 20, MaxResponseBytes: 2048, Wait: 5 * time.Second, Transaction: true}
	if got := m.Operations[2].Policy; !reflect.DeepEqual(got, want) {
		t.Errorf("full object = %+v, want %+v", got, want)
	}
	if o := m.Operations[2].Origin; o.File != p || o.Line != 6 || o.Column != 7 {
		t.Errorf("origin = %v, want the marker at line 6, column 7", o)
	}
	if m.Operations[0].OperationID != "del" {
		t.Errorf("operationId = %q", m.Operations[0].OperationID)
	}
}

func TestPolicyErrors(t *testing.T) {
	p := write(t, "spec.yaml", head+`  /a:
    post:
      x-idempotent:
        ttl: 86400
        colour: blue
        maxRequestBytes: 1.5
        scopeHeaders: [Authorization, "bad header"]
      responses: {"200": {description: ok}}
    put:
      x-idempotent: {ttl: "-1h", wait: "-1s", maxResponseBytes: "1MB", transaction: "yes"}
      responses: {"200": {description: ok}}
    get:
      x-idempotent: true
      responses: {"200": {description: ok}}
    patch:
      x-idempotent: "yes"
      responses: {"200": {description: ok}}
`)
	got := loadErr(t, p, Options{})
	want := strings.Join([]string{
		`spec.yaml:7:14: x-idempotent.ttl: must be a Go duration string such as "48h", got number 86400`,
		`spec.yaml:8:9: x-idempotent.colour: unknown field; the fields are required, ttl, scopeHeaders, storeServerErrors, maxRequestBytes, maxResponseBytes, wait, transaction, echoKey, stripeReplayed, fingerprint, key`,
		`spec.yaml:9:26: x-idempotent.maxRequestBytes: must be a positive whole number of bytes, got number 1.5`,
		`spec.yaml:10:39: x-idempotent.scopeHeaders[1]: "bad header" is not a valid header name`,
		`spec.yaml:13:27: x-idempotent.ttl: must be a positive duration, got "-1h"`,
		`spec.yaml:13:40: x-idempotent.wait: must not be negative, got "-1s"`,
		`spec.yaml:13:65: x-idempotent.maxResponseBytes: must be a positive whole number of bytes, got string "1MB"`,
		`spec.yaml:13:85: x-idempotent.transaction: must be true or false, got string "yes"`,
		`spec.yaml:16:7: x-idempotent: GET /a is a safe method; only unsafe operations (POST, PUT, PATCH, DELETE) can be marked idempotent`,
		`spec.yaml:19:7: x-idempotent: must be true, false or an object with the fields required, ttl, scopeHeaders, storeServerErrors, maxRequestBytes, maxResponseBytes, wait, transaction, echoKey, stripeReplayed, fingerprint, key; got string "yes"`,
	}, "\n")
	if got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}
}

func TestDuplicateOperationIDs(t *testing.T) {
	spec := head + `  /a:
    post:
      operationId: make
      x-idempotent: true
      responses: {"200": {description: ok}}
  /b:
    get:
      operationId: make
      responses: {"200": {description: ok}}
    head:
      operationId: look
      responses: {"200": {description: ok}}
    options:
      operationId: look
      responses: {"200": {description: ok}}
`
	p := write(t, "spec.yaml", spec)
	want := `spec.yaml:6:7: duplicate operationId "make": POST /a here and GET /b at spec.yaml:11:7` + "\n" +
		`spec.yaml:11:7: duplicate operationId "make": GET /b here and POST /a at spec.yaml:6:7`
	if got := loadErr(t, p, Options{}); got != want {
		t.Errorf("errors:\n%s\nwant:\n%s", got, want)
	}

	// Between unmarked operations it is only a warning.
	p = write(t, "spec.yaml", strings.Replace(spec, "x-idempotent: true", "x-idempotent: false", 1))
	r, err := Load(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Warnings) != 2 || !strings.Contains(r.Warnings[1], `duplicate operationId "look"`) {
		t.Errorf("warnings = %q", r.Warnings)
	}
}

func TestMarkMethodsAndDeclaredHeader(t *testing.T) {
	p := write(t, "spec.json", `{"openapi": "3.1.0", "info": {"title": "J", "version": "1"}, "paths": {
  "/a": {
    "parameters": [{"name": "idempotency-key", "in": "header", "schema": {"type": "string"}}],
    "post": {"responses": {"200": {"description": "ok"}}},
    "patch": {"x-idempotent": false, "responses": {"200": {"description": "ok"}}},
    "get": {"responses": {"200": {"description": "ok"}}}
  },
  "/b": {"put": {"parameters": [{"name": "IDEMPOTENCY-KEY", "in": "header", "schema": {"type": "string"}}],
                 "responses": {"200": {"description": "ok"}}}}}}`)
	r, err := Load(context.Background(), p, Options{MarkMethods: []string{"post", "PATCH", " put"}})
	if err != nil {
		t.Fatal(err)
	}
	ops := r.Model.Operations
	if len(ops) != 2 || ops[0].Route() != "POST /a" || ops[1].Route() != "PUT /b" {
		t.Fatalf("operations = %+v", ops)
	}
	if r.Model.Format != "json" || !ops[0].DeclaresKeyHeader || !ops[1].DeclaresKeyHeader {
		t.Errorf("format %q, declares %v %v", r.Model.Format, ops[0].DeclaresKeyHeader, ops[1].DeclaresKeyHeader)
	}
	if o := ops[0].Origin; o.Line != 4 || o.Column != 5 {
		t.Errorf("origin of a marked-by-option operation = %v, want its method key at 4:5", o)
	}
	if _, err := Load(context.Background(), p, Options{MarkMethods: []string{"GET"}}); err == nil || !strings.Contains(err.Error(), "GET is a safe method") {
		t.Errorf("marking GET: %v", err)
	}
}

func TestSyntaxAndReferenceErrors(t *testing.T) {
	cases := []struct {
		name  string
		files []string
		opts  Options
		want  string
	}{
		{"invalid YAML", []string{"spec.yaml", head + "  /a:\n    post:\n     responses: [\n"}, Options{},
			"spec.yaml:7:1: invalid YAML: did not find expected node content"},
		{"invalid JSON", []string{"spec.json", "{\"openapi\": \"3.0.3\",\n  \"info\": {\"title\": \"t\" \"version\": \"1\"}}"}, Options{},
			`spec.json:2:25: invalid JSON: invalid character '"' after object key:value pair`},
		{"dangling", []string{"spec.yaml", head + "  /a:\n    post:\n      responses:\n        \"200\": {$ref: \"#/components/responses/Gone\"}\ncomponents: {responses: {}}\n"}, Options{},
			`spec.yaml:7:23: $ref "#/components/responses/Gone" cannot be resolved: "Gone" is not found`},
		{"remote", []string{"spec.yaml", head + "  /a:\n    post:\n      responses:\n        \"200\": {$ref: \"https://example.invalid/r.yaml#/R\"}\n"}, Options{},
			`spec.yaml:7:23: $ref "https://example.invalid/r.yaml#/R": remote references are refused so that generation stays hermetic; save the document beside this one and refer to it by a relative path, or allow remote references (-allow-remote-refs)`},
		{"not openapi", []string{"spec.yaml", "title: nothing\n"}, Options{},
			"spec.yaml: not an OpenAPI document: it has neither an openapi nor a swagger field"},
		{"error in a referenced file", []string{"spec.yaml", head + "  /a:\n    $ref: \"paths/a.yaml\"\n",
			"paths/a.yaml", "post:\n  x-idempotent: {ttl: 1}\n  responses: {\"200\": {description: ok}}\n"}, Options{},
			`paths/a.yaml:2:23: x-idempotent.ttl: must be a Go duration string such as "48h", got number 1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := loadErr(t, write(t, c.files...), c.opts); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestMultiFileAndFresh(t *testing.T) {
	p := write(t, "root.yaml", head+"  /things/{id}:\n    $ref: \"paths/things.yaml\"\n",
		"paths/things.yaml", `parameters:
  - {name: id, in: path, required: true, schema: {type: string}}
post:
  operationId: makeThing
  x-idempotent: {ttl: 1h}
  requestBody: {content: {application/json: {schema: {$ref: "../schemas.yaml#/Thing"}}}}
  responses: {"200": {description: ok}}
`, "schemas.yaml", "Thing: {type: object}\n")
	ctx := context.Background()
	r, err := Load(ctx, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Model.Operations) != 1 {
		t.Fatalf("operations = %+v", r.Model.Operations)
	}
	op := r.Model.Operations[0]
	if op.Policy.TTL != time.Hour || op.Origin.File != filepath.Join(filepath.Dir(p), "paths", "things.yaml") || op.Origin.Line != 5 {
		t.Errorf("operation = %+v", op)
	}
	d1, err := r.Fresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := r.Fresh(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d1 == d2 || d2.Paths.Value("/things/{id}").Post.OperationID != "makeThing" {
		t.Error("Fresh handed out the same document twice, or a broken one")
	}
}

func TestSwagger2(t *testing.T) {
	p := write(t, "swagger.yaml", `swagger: "2.0"
info: {title: Old, version: "0.1"}
paths:
  /pets/{petId}:
    post:
      operationId: renamePet
      x-idempotent: {ttl: 2h}
      parameters:
        - {name: petId, in: path, required: true, type: integer, format: int64}
      responses: {"200": {description: ok}}
    delete:
      x-idempotent: {ttl: 0s}
      responses: {"200": {description: ok}}
`)
	got := loadErr(t, p, Options{})
	if want := `swagger.yaml:12:27: x-idempotent.ttl: must be a positive duration, got "0s"`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	data, _ := os.ReadFile(p)
	r, err := LoadBytes(context.Background(), p, []byte(strings.Replace(string(data), "ttl: 0s", "ttl: 3s", 1)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ops := r.Model.Operations; len(ops) != 2 || ops[1].OperationID != "renamePet" || ops[1].Policy.TTL != 2*time.Hour || ops[1].Origin.Line != 7 {
		t.Errorf("operations = %+v", ops)
	}
	if r.Model.Title != "Old" {
		t.Errorf("title %q", r.Model.Title)
	}
}
