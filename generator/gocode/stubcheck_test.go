package gocode

import (
	"cmp"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"slices"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/generator/model"
)

// stubSources are the packages idempotency.gen.go imports, cut down to what
// the template uses, so that a generated file type-checks in milliseconds
// (a fuzz input each) instead of seconds. TestCollisionSeedsCompile checks
// the same files against the real runtime and oapi-codegen's real output.
var stubSources = map[string]string{
	"net/http": `package http
type Header map[string][]string
type ResponseWriter interface { Header() Header; Write([]byte) (int, error); WriteHeader(int) }
type Request struct{ Pattern string }
type Handler interface{ ServeHTTP(ResponseWriter, *Request) }
type HandlerFunc func(ResponseWriter, *Request)
func (f HandlerFunc) ServeHTTP(w ResponseWriter, r *Request) { f(w, r) }
`,
	"time": `package time
type Duration int64
const (
	Nanosecond Duration = 1
	Microsecond = 1000 * Nanosecond
	Millisecond = 1000 * Microsecond
	Second = 1000 * Millisecond
	Minute = 60 * Second
	Hour = 60 * Minute
)
type Time struct{}
`,
	"net/netip": `package netip
type Addr struct{}
type Prefix struct{}
`,
	"github.com/oapi-codegen/runtime/types": `package types
type UUID [16]byte
type Date struct{}
type Email string
type File struct{}
`,
	"github.com/idemgen/idemgen/runtime/idempotency": `package idempotency
import ("net/http"; "time")
type ClaimStore interface{ TTL() time.Duration }
type config struct{}
type Option func(*config)
type Route struct { Method, Pattern, Operation string; Options []Option }
type Middleware struct{}
func (m *Middleware) Serve(w http.ResponseWriter, r *http.Request, next http.Handler) {}
func (m *Middleware) Handler(next http.Handler) http.Handler { return next }
func NewRouter(store ClaimStore, routes []Route, opts ...Option) func(http.Handler) http.Handler { return nil }
func NewRouteMiddleware(store ClaimStore, route Route, opts ...Option) *Middleware { return nil }
func WithMethods(methods ...string) Option { return nil }
func WithRoute(pattern string) Option { return nil }
func WithKeyRequired(required bool) Option { return nil }
func WithTTL(d time.Duration) Option { return nil }
func WithScopeHeaders(names ...string) Option { return nil }
func WithStoreServerErrors(store bool) Option { return nil }
func WithMaxRequestBody(n int64) Option { return nil }
func WithMaxResponseBody(n int64) Option { return nil }
func WithWait(max time.Duration) Option { return nil }
func WithBasePath(prefixes ...string) Option { return nil }
`,
}

// stubImporter type-checks stubSources on demand.
type stubImporter struct {
	fset *token.FileSet
	pkgs map[string]*types.Package
}

func (im *stubImporter) Import(path string) (*types.Package, error) {
	if p, ok := im.pkgs[path]; ok {
		return p, nil
	}
	src, ok := stubSources[path]
	if !ok {
		return nil, fmt.Errorf("no stub for package %q", path)
	}
	f, err := parser.ParseFile(im.fset, path+"/stub.go", src, 0)
	if err != nil {
		return nil, err
	}
	p, err := (&types.Config{Importer: im}).Check(path, im.fset, []*ast.File{f}, nil)
	if err != nil {
		return nil, err
	}
	im.pkgs[path] = p
	return p, nil
}

// stubMethod is one ServerInterface method for stubServer.
type stubMethod struct {
	name   string
	params []model.GoParam
}

// stubServer is a file declaring ServerInterface with methods, and an
// empty struct for each parameter type of this package (XParams), as
// oapi-codegen would declare them.
func stubServer(methods []stubMethod) string {
	var b strings.Builder
	b.WriteString("package api\n\nimport (\n\t\"net/http\"\n")
	imports, local := map[string]bool{}, map[string]bool{}
	var sigs strings.Builder
	for _, m := range methods {
		fmt.Fprintf(&sigs, "\t%s(http.ResponseWriter, *http.Request", m.name)
		for _, p := range m.params {
			fmt.Fprintf(&sigs, ", %s", p.Type)
			expr, err := parser.ParseExpr(p.Type)
			if err != nil {
				continue
			}
			ast.Inspect(expr, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok {
						imports[cmp.Or(knownQualifiers[id.Name], p.Import)] = true
					}
					return false
				case *ast.Ident:
					if types.Universe.Lookup(n.Name) == nil {
						local[n.Name] = true
					}
				}
				return true
			})
		}
		sigs.WriteString(")\n")
	}
	for _, spec := range slices.Sorted(keysOf(imports)) {
		if spec != "" {
			fmt.Fprintf(&b, "\t%s\n", spec)
		}
	}
	b.WriteString(")\n\ntype ServerInterface interface {\n" + sigs.String() + "}\n")
	for _, name := range slices.Sorted(keysOf(local)) {
		fmt.Fprintf(&b, "\ntype %s struct{}\n", name)
	}
	return b.String()
}

func keysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// stubTypeCheck type-checks a generated idempotency.gen.go beside a stub
// ServerInterface with methods and returns every error, or nil.
func stubTypeCheck(src []byte, methods []stubMethod) error {
	fset := token.NewFileSet()
	gen, err := parser.ParseFile(fset, "idempotency.gen.go", src, 0)
	if err != nil {
		return err
	}
	server, err := parser.ParseFile(fset, "server.gen.go", stubServer(methods), 0)
	if err != nil {
		return fmt.Errorf("stub server: %w", err)
	}
	var errs []error
	conf := types.Config{
		Importer: &stubImporter{fset: fset, pkgs: map[string]*types.Package{}},
		Error:    func(err error) { errs = append(errs, err) },
	}
	conf.Check("example.com/api", fset, []*ast.File{gen, server}, nil)
	return errors.Join(errs...)
}

func TestStubTypeCheck(t *testing.T) {
	src, m := renderNames(t)
	var methods []stubMethod
	for _, op := range m.Operations {
		if op.GoName != "" {
			methods = append(methods, stubMethod{op.GoName, op.GoParams})
		}
	}
	if err := stubTypeCheck(src, methods); err != nil {
		t.Fatalf("names.yaml's file does not type-check against the stubs: %v", err)
	}
	// And the check can fail: a ServerInterface without the wrapped
	// methods (as after a renamed operation) leaves the calls in the
	// wrapper bodies undefined.
	if err := stubTypeCheck(src, nil); err == nil || !strings.Contains(err.Error(), "s.ServerInterface.CreatePayment undefined") {
		t.Errorf("type-checked without the methods it wraps: %v", err)
	}
}
