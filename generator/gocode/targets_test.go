package gocode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/generator/model"
)

// writeConfig writes an oapi-codegen configuration and loads it, so that
// messages carry its file:line:col.
func writeConfig(t *testing.T, text string) (Config, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "oapi-codegen.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, p
}

// An oapi-codegen upgrade that adds a generate option fails here, until
// targets says what the option means for idempotency.gen.go.
func TestTargetsCoverGenerateOptions(t *testing.T) {
	keys := generateKeys()
	for _, k := range keys {
		if _, ok := targets[k]; !ok {
			t.Errorf("oapi-codegen's generate.%s is not classified in targets", k)
		}
	}
	for k := range targets {
		if !slices.Contains(keys, k) {
			t.Errorf("targets classifies generate.%s, which oapi-codegen does not have", k)
		}
	}
}

// Every server target, and strict over it, resolves to wrappers in
// its framework's terms: the operations keep their Go names.
func TestResolveAdaptedServers(t *testing.T) {
	frameworks := map[string]string{
		"std-http-server": "", "chi-server": "", "gorilla-server": "",
		"echo-server": "echo", "echo5-server": "echo5", "gin-server": "gin",
		"fiber-server": "fiber", "fiber-v3-server": "fiber3", "iris-server": "iris",
	}
	spec := filepath.Join("testdata", "names.yaml")
	for key, fw := range frameworks {
		for _, strict := range []bool{false, true} {
			text := "package: api\ngenerate:\n  models: true\n  " + key + ": true\n"
			if strict {
				text += "  strict-server: true\n"
			}
			cfg, _ := writeConfig(t, text)
			doc := loadDoc(t, spec)
			got, _, err := Resolve(doc, cfg, markAll(doc, spec))
			if err != nil {
				t.Errorf("%s (strict %v): %v", key, strict, err)
				continue
			}
			if got.Framework != fw || got.RouteTableOnly {
				t.Errorf("%s (strict %v): framework %q, route table only %v; want %q, false", key, strict, got.Framework, got.RouteTableOnly, fw)
			}
			named := 0
			for _, op := range got.Operations {
				if op.GoName != "" {
					named++
				}
			}
			if named == 0 {
				t.Errorf("%s (strict %v): no operation has a Go name", key, strict)
			}
		}
	}
}

// A server target idemgen has not classified (as after an oapi-codegen
// upgrade) is refused rather than assumed to be net/http shaped.
func TestResolveRefusesUnclassifiedTarget(t *testing.T) {
	saved := targets["gorilla-server"]
	delete(targets, "gorilla-server")
	t.Cleanup(func() { targets["gorilla-server"] = saved })
	cfg, path := writeConfig(t, "package: api\ngenerate:\n  gorilla-server: true\n")
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	_, _, err := Resolve(doc, cfg, markAll(doc, spec))
	if err == nil || !strings.HasPrefix(err.Error(), path+":3:3: generate.gorilla-server: idemgen does not know") {
		t.Errorf("unclassified target: %v", err)
	}
}

func TestResolveRefusesTwoServers(t *testing.T) {
	cfg, path := writeConfig(t, "package: api\ngenerate:\n  std-http-server: true\n  chi-server: true\n")
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	_, _, err := Resolve(doc, cfg, markAll(doc, spec))
	if err == nil || !strings.HasPrefix(err.Error(), path+":4:3: generate.chi-server: oapi-codegen generates one server at a time, and this config asks for std-http-server too") {
		t.Errorf("two servers: %v", err)
	}
}

// A generate key oapi-codegen does not know is refused where it stands,
// with the key it likely stands for.
func TestLoadConfigUnknownTarget(t *testing.T) {
	cases := map[string]string{
		"echo-servr: true":   "2:3: generate.echo-servr: not an oapi-codegen target; did you mean echo-server?",
		"std_http_server: y": "2:3: generate.std_http_server: not an oapi-codegen target; did you mean std-http-server?",
		"types: true":        "2:3: generate.types: not an oapi-codegen target; did you mean models?",
		"hertz-server: true": "2:3: generate.hertz-server: not an oapi-codegen target (it knows iris-server, chi-server",
	}
	for line, want := range cases {
		p := filepath.Join(t.TempDir(), "oapi.yaml")
		if err := os.WriteFile(p, []byte("generate:\n  "+line+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadConfig(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+":"+want) {
			t.Errorf("%s: error %v, want %s:%s", line, err, p, want)
		}
	}
}

// With no server target, the file is the route table alone: it names no
// ServerInterface, so it compiles beside models only, or nothing at all.
// (With a client it also offers the client's option, and compiles beside
// that client: golden/client_only.)
func TestResolveRouteTableOnly(t *testing.T) {
	spec := filepath.Join("testdata", "names.yaml")
	for name, text := range map[string]string{
		"models":      "package: api\ngenerate:\n  models: true\n",
		"no generate": "package: api\n",
		"empty file":  "",
	} {
		cfg, _ := writeConfig(t, text)
		doc := loadDoc(t, spec)
		m := markAll(doc, spec)
		got, warnings, err := Resolve(doc, cfg, m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !got.RouteTableOnly || len(got.Operations) != len(m.Operations) || len(warnings) != 0 {
			t.Errorf("%s: RouteTableOnly %v, %d of %d operations, warnings %q", name, got.RouteTableOnly, len(got.Operations), len(m.Operations), warnings)
		}
		src, err := Render(got, Options{Package: "api"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s := string(src); namesIdent(t, src, "ServerInterface") || namesIdent(t, src, "IdempotentServer") ||
			!strings.Contains(s, `Pattern: "/payments"`) || !strings.Contains(s, "generates no server") {
			t.Errorf("%s: want the route table alone, saying why:\n%s", name, src)
		}
		if err := typeCheckAlone(src); err != nil {
			t.Errorf("%s: the route table does not compile on its own: %v", name, err)
		}
	}
}

// strict-server with no server under it makes oapi-codegen generate no
// ServerInterface: the route table alone, and a warning.
func TestResolveStrictWithoutServer(t *testing.T) {
	cfg, path := writeConfig(t, "package: api\ngenerate:\n  models: true\n  strict-server: true\n")
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	got, warnings, err := Resolve(doc, cfg, markAll(doc, spec))
	if err != nil {
		t.Fatal(err)
	}
	if !got.RouteTableOnly || len(warnings) != 1 || !strings.HasPrefix(warnings[0], path+":4:3: generate.strict-server with no server target") {
		t.Errorf("RouteTableOnly %v, warnings %q", got.RouteTableOnly, warnings)
	}
}

// A net/http server, with or without strict, still gets its wrappers; and
// so does the default, with no configuration file.
func TestResolveNetHTTPServers(t *testing.T) {
	spec := filepath.Join("testdata", "names.yaml")
	for _, text := range []string{"", "generate:\n  std-http-server: true\n", "generate:\n  chi-server: true\n  strict-server: true\n", "generate:\n  gorilla-server: true\n"} {
		cfg := Config{}
		if text != "" {
			cfg, _ = writeConfig(t, text)
		}
		doc := loadDoc(t, spec)
		got, _, err := Resolve(doc, cfg, markAll(doc, spec))
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got.RouteTableOnly || !slices.ContainsFunc(got.Operations, func(o model.Operation) bool { return o.GoName == "CreatePayment" }) {
			t.Errorf("%q: no typed wrappers", text)
		}
	}
}

// namesIdent reports whether the Go source src uses the identifier name.
func namesIdent(t *testing.T, src []byte, name string) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		return !found
	})
	return found
}

// typeCheckAlone type-checks a generated file as the only file of its
// package, against the stub runtime.
func typeCheckAlone(src []byte) error {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "idempotency.gen.go", src, 0)
	if err != nil {
		return err
	}
	_, err = (&types.Config{Importer: &stubImporter{fset: fset, pkgs: map[string]*types.Package{}}}).Check("example.com/api", fset, []*ast.File{f}, nil)
	return err
}
