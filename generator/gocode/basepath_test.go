package gocode

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestBasePaths(t *testing.T) {
	v := func(def string, enum ...string) *openapi3.ServerVariable {
		return &openapi3.ServerVariable{Default: def, Enum: enum}
	}
	cases := []struct {
		name    string
		servers openapi3.Servers
		want    []string
		warn    string
	}{
		{"none", nil, nil, ""},
		{"root and empty", openapi3.Servers{{URL: "/"}, {URL: ""}, {URL: "https://api.example.com"}, {URL: "https://api.example.com/"}}, nil, ""},
		{"absolute", openapi3.Servers{{URL: "https://api.example.com/v1"}}, []string{"/v1"}, ""},
		{"trailing slash, query, port", openapi3.Servers{{URL: "http://localhost:8080/api/v2/?x=1#f"}}, []string{"/api/v2"}, ""},
		{"relative to the host", openapi3.Servers{{URL: "/v1"}, {URL: "//cdn.example.com/v1"}}, []string{"/v1"}, ""},
		{"order kept, duplicates dropped", openapi3.Servers{{URL: "https://b.example.com/v2"}, {URL: "/v1"}, {URL: "https://a.example.com/v2"}}, []string{"/v2", "/v1"}, ""},
		{"escaped", openapi3.Servers{{URL: "https://x.example.com/caf%C3%A9"}}, []string{"/café"}, ""},
		{"host variables do not matter", openapi3.Servers{{URL: "{scheme}://{env}.example.com/v1", Variables: map[string]*openapi3.ServerVariable{"env": v("prod")}}}, []string{"/v1"}, ""},
		{"path variable: its default", openapi3.Servers{{URL: "https://x.example.com/{base}", Variables: map[string]*openapi3.ServerVariable{"base": v("v3")}}}, []string{"/v3"}, ""},
		{"path variable: each enum value", openapi3.Servers{{URL: "https://x.example.com/{version}/{tier}", Variables: map[string]*openapi3.ServerVariable{
			"version": v("v1", "v1", "v2"), "tier": v("a", "a", "b")}}}, []string{"/v1/a", "/v1/b", "/v2/a", "/v2/b"}, ""},
		{"undeclared variable", openapi3.Servers{{URL: "https://x.example.com/{nope}"}, {URL: "/ok"}}, []string{"/ok"}, `servers URL "https://x.example.com/{nope}": its path variable {nope} is not declared`},
		{"relative to the document", openapi3.Servers{{URL: "v1"}}, nil, `servers URL "v1": it is relative to where the document is served`},
	}
	for _, c := range cases {
		got, warnings := basePaths(&openapi3.T{Servers: c.servers}, "spec.yaml")
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
		switch {
		case c.warn == "" && len(warnings) > 0:
			t.Errorf("%s: warnings %q", c.name, warnings)
		case c.warn != "" && (len(warnings) != 1 || !strings.HasPrefix(warnings[0], "spec.yaml: "+c.warn)):
			t.Errorf("%s: warnings %q, want one starting with %q", c.name, warnings, c.warn)
		}
	}
}

// Resolve carries the base paths whatever the server, and Render passes
// them to the runtime before the caller's options.
func TestResolveRendersBasePaths(t *testing.T) {
	spec := filepath.Join("testdata", "names.yaml")
	for name, cfg := range map[string]Config{"server": {}, "models only": mustConfig(t, "generate:\n  models: true\n")} {
		doc := loadDoc(t, spec)
		doc.Servers = openapi3.Servers{{URL: "https://api.example.com/v1"}, {URL: "/v2/"}}
		m, _, err := Resolve(doc, cfg, markAll(doc, spec))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(m.BasePaths, []string{"/v1", "/v2"}) {
			t.Errorf("%s: BasePaths %q", name, m.BasePaths)
		}
		src, err := Render(m, Options{Package: "api", Source: "names.yaml"})
		if err != nil {
			t.Fatal(err)
		}
		want := "\topts = append([]idempotency.Option{idempotency.WithBasePath(\"/v1\", \"/v2\")}, opts...)\n\treturn idempotency.NewRouter(store, IdempotentRoutes, opts...)\n"
		if !strings.Contains(string(src), want) || !strings.Contains(strings.ReplaceAll(string(src), "\n// ", " "), `the routes under "/v1" and "/v2", the paths of the servers in names.yaml`) {
			t.Errorf("%s: no base paths in NewIdempotencyMiddleware:\n%s", name, src)
		}
	}
}

func mustConfig(t *testing.T, text string) Config {
	t.Helper()
	cfg, _ := writeConfig(t, text)
	return cfg
}
