package load

import (
	"context"
	"strings"
	"testing"
)

// TestOddDocuments feeds documents that are wrong in shapes a user can
// produce by accident: each must load or fail with an error, never panic.
func TestOddDocuments(t *testing.T) {
	const info = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n"
	// want is the start of the error, or "" for a document that loads.
	cases := []struct{ name, doc, want string }{
		{"empty", "", "spec.yaml: not an OpenAPI document"},
		{"list", "[]\n", "spec.yaml:1: cannot load the document: yaml: construct errors: line 1: cannot construct !!seq"},
		{"null", "null\n", "spec.yaml: not an OpenAPI document"},
		{"scalar", "hello\n", "spec.yaml:1: cannot load the document"},
		{"paths as a list", info + "paths: []\n", "spec.yaml:3: cannot load the document"},
		{"null path item", info + "paths:\n  /a:\n", ""},
		{"null operation", info + "paths:\n  /a:\n    post:\n", ""},
		{"no info", "openapi: 3.0.3\npaths:\n  /a:\n    post:\n      x-idempotent: true\n      responses: {'200': {description: ok}}\n", ""},
		{"marker on a path item", info + "paths:\n  /a:\n    x-idempotent: true\n    post:\n      responses: {'200': {description: ok}}\n",
			"spec.yaml:5:5: x-idempotent: idemgen reads the marker on operations only and would ignore it on the path item /a"},
		{"null marker", info + "paths:\n  /a:\n    post:\n      x-idempotent:\n      responses: {'200': {description: ok}}\n",
			"spec.yaml:6:7: x-idempotent: must be true, false or an object"},
		{"anchored operation", info + "paths:\n  /a:\n    post: &op\n      x-idempotent: {ttl: 1}\n      responses: {'200': {description: ok}}\n  /b:\n    put: *op\n",
			"spec.yaml:6:27: x-idempotent.ttl: must be a Go duration string"},
		{"swagger 2 without paths", "swagger: '2.0'\ninfo: {title: t, version: '1'}\n", ""},
		{"path item referring to itself", info + "paths:\n  /a:\n    $ref: '#/paths/~1a'\n", ""},
		{"missing file", info + "paths:\n  /a:\n    $ref: 'nowhere.yaml'\n",
			`spec.yaml:5:11: $ref "nowhere.yaml": cannot read nowhere.yaml: no such file or directory`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadBytes(context.Background(), "spec.yaml", []byte(c.doc), Options{MarkMethods: []string{"POST"}})
			switch {
			case c.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case c.want != "" && (err == nil || !strings.HasPrefix(err.Error(), c.want)):
				t.Errorf("error %v, want one starting %q", err, c.want)
			}
		})
	}
}
