package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// go generate warns about a marked operation behind authentication whose
// keys every caller shares, at the operation, and not about one whose keys
// are scoped by the caller's header or that needs no authentication.
func TestRunWarnsUnscopedAuthenticatedOperations(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	const src = `openapi: 3.0.3
info: {title: t, version: "1"}
security:
  - bearer: []
paths:
  /payments:
    post:
      operationId: createPayment
      x-idempotent: true
      responses: {"201": {description: created}}
  /orders:
    post:
      operationId: placeOrder
      x-idempotent: {scopeHeaders: [Authorization]}
      responses: {"201": {description: placed}}
  /public:
    post:
      operationId: publicPost
      security: []
      x-idempotent: true
      responses: {"201": {description: done}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
`
	if err := os.WriteFile(spec, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	// With a Go file the check reads the document the pipeline loaded for
	// it; without one, a document of its own.
	for _, goOut := range []string{Skip, filepath.Join(dir, DefaultGoOut)} {
		checkUnscopedWarning(t, Options{Spec: spec, Package: "api", GoOut: goOut, SpecOut: Skip, DocsOut: Skip}, spec)
	}
}

func checkUnscopedWarning(t *testing.T, opts Options, spec string) {
	t.Helper()
	var stderr strings.Builder
	opts.Stderr = &stderr
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	got := stderr.String()
	if n := strings.Count(got, "unscoped-auth"); n != 1 || !strings.Contains(got, "idemgen: warning: "+spec+":9:7: unscoped-auth:") {
		t.Errorf("want one unscoped-auth warning at %s:9:7 (the marker of POST /payments):\n%s", spec, got)
	}
	for _, op := range []string{"/orders", "/public"} {
		if strings.Contains(got, "POST "+op) {
			t.Errorf("warned about %s:\n%s", op, got)
		}
	}
}
