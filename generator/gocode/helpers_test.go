package gocode

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// loadDoc loads a spec the way oapi-codegen does, a fresh copy each call.
func loadDoc(t testing.TB, path string) *openapi3.T {
	t.Helper()
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	l.IncludeOrigin = true
	doc, err := l.LoadFromURI(&url.URL{Path: filepath.ToSlash(path)})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return doc
}

// markAll builds the model load would build with every unsafe operation
// marked x-idempotent: true (the loader is another package's job).
func markAll(doc *openapi3.T, source string) model.Model {
	m := model.Model{Source: source, Format: "yaml"}
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			switch method {
			case "POST", "PUT", "PATCH", "DELETE":
				m.Operations = append(m.Operations, model.Operation{
					Method: method, Path: path, OperationID: op.OperationID,
					Policy: model.DefaultPolicy, Origin: model.Origin{File: source},
				})
			}
		}
	}
	slices.SortFunc(m.Operations, func(a, b model.Operation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	return m
}

// serverInterface generates oapi-codegen's std-http server for doc with
// cfg and returns ServerInterface's methods: name → arguments after (w, r)
// as "name type" strings.
func serverInterface(t testing.TB, doc *openapi3.T, cfg Config) map[string][]string {
	t.Helper()
	opts := cfg.Configuration
	opts.PackageName = "api"
	opts.Generate = codegen.GenerateOptions{StdHTTPServer: true, Models: true}
	opts.OutputOptions.SkipFmt = true
	codegenMu.Lock()
	src, err := codegen.Generate(doc, opts)
	codegenMu.Unlock()
	if err != nil {
		t.Fatalf("oapi-codegen: %v", err)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "api.go", src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatalf("parse oapi-codegen output: %v", err)
	}
	methods := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "ServerInterface" {
			return true
		}
		for _, m := range ts.Type.(*ast.InterfaceType).Methods.List {
			var args []string
			for i, p := range m.Type.(*ast.FuncType).Params.List {
				for _, name := range p.Names {
					if i >= 2 {
						args = append(args, name.Name+" "+types.ExprString(p.Type))
					}
				}
			}
			methods[m.Names[0].Name] = args
		}
		return false
	})
	return methods
}

// argStrings formats GoParams like serverInterface does.
func argStrings(ps []model.GoParam) []string {
	var out []string
	for _, p := range ps {
		e, err := parser.ParseExpr(p.Type)
		if err != nil {
			out = append(out, p.Name+" !"+p.Type)
			continue
		}
		out = append(out, p.Name+" "+types.ExprString(e))
	}
	return out
}
