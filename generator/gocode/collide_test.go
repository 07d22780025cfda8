package gocode

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"golang.org/x/tools/go/packages"

	"github.com/idemgen/idemgen/generator/model"
)

// TestCollisionSeedsCompile builds every collision seed with the real
// runtime and oapi-codegen's real std-http output, through go/packages: a
// file generated without error compiles, and the file a refused seed would
// have got does not, so that the refusal is never a false alarm. The
// seeds' outcomes are pinned, so that the seed list keeps covering both.
func TestCollisionSeedsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checking runs the go command; skipped with -short")
	}
	refused := map[int]bool{1: true, 2: true, 3: true}
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	overlay := map[string][]byte{}
	want := map[string]bool{} // package dir → must idempotency.gen.go compile
	var patterns []string
	for i, s := range collisionSeeds {
		src, genErr, unchecked, _ := generateSeed(t, s)
		collision := genErr != nil && strings.Contains(genErr.Error(), "a Go type cannot have a field and a method of one name")
		if collision != refused[i] {
			t.Errorf("seed %d %+v: collision refusal %v, want %v (%v)", i, s, collision, refused[i], genErr)
		}
		file := src
		switch {
		case collision && unchecked == nil:
			t.Errorf("seed %d %+v: refused, but there is no unchecked file to compare", i, s)
			continue
		case collision:
			file = unchecked
		case genErr != nil:
			t.Logf("seed %d %+v: refused: %v", i, s, genErr)
			continue
		}
		server, err := oapiStdHTTP(s)
		if err != nil {
			t.Logf("seed %d %+v: oapi-codegen refuses it: %v", i, s, err)
			continue
		}
		dir := filepath.Join(self, "testdata", "typecheck", fmt.Sprintf("seed%d", i))
		overlay[filepath.Join(dir, "server.gen.go")] = server
		overlay[filepath.Join(dir, "idempotency.gen.go")] = file
		want[dir] = !collision
		patterns = append(patterns, fmt.Sprintf("./testdata/typecheck/seed%d", i))
	}
	pkgs, err := packages.Load(&packages.Config{
		Context: context.Background(),
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes,
		Dir:     self,
		Overlay: overlay,
	}, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) != len(patterns) {
		t.Fatalf("loaded %d packages of %d", len(pkgs), len(patterns))
	}
	for _, p := range pkgs {
		if len(p.GoFiles) == 0 {
			t.Errorf("%s: no files: %v", p.PkgPath, p.Errors)
			continue
		}
		dir := filepath.Dir(p.GoFiles[0])
		var ours []string
		for _, e := range p.Errors {
			// Type errors stand at their file; the go command's own
			// report (at "-") quotes it.
			if strings.Contains(e.Error(), "idempotency.gen.go") {
				ours = append(ours, e.Error())
			} else {
				t.Logf("%s: oapi-codegen's own output: %v", filepath.Base(dir), e)
			}
		}
		switch {
		case want[dir] && len(ours) > 0:
			t.Errorf("%s: generated without error, but does not compile:\n%s\n%s", filepath.Base(dir), strings.Join(ours, "\n"), overlay[filepath.Join(dir, "idempotency.gen.go")])
		case !want[dir] && len(ours) == 0:
			t.Errorf("%s: refused, but the unchecked file compiles", filepath.Base(dir))
		}
	}
}

// oapiStdHTTP is oapi-codegen's std-http server and models for the seed.
func oapiStdHTTP(s collisionSeed) ([]byte, error) {
	doc, _ := collisionDoc(s)
	codegenMu.Lock()
	defer codegenMu.Unlock()
	src, err := codegen.Generate(doc, codegen.Configuration{PackageName: "api",
		Generate: codegen.GenerateOptions{StdHTTPServer: true, Models: true}})
	return []byte(src), err
}

func TestResolveFieldCollision(t *testing.T) {
	for _, c := range []struct {
		seed collisionSeed
		want string
	}{
		{collisionSeed{"ServerInterface", "listPayments", "id"}, `spec.yaml:5:7: POST /a/{id}: operationId "ServerInterface" becomes the ServerInterface method ServerInterface, but IdempotentServer`},
		{collisionSeed{"createPayment", "server-interface", "id"}, `spec.yaml: POST /b: operationId "server-interface" becomes the ServerInterface method ServerInterface`},
	} {
		doc, m := collisionDoc(c.seed)
		_, _, err := Resolve(doc, Config{}, m)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one starting %q", c.seed, err, c.want)
			continue
		}
		for _, part := range []string{"field", "rename the operationId", "overlay", "x-go-name"} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%+v: %q does not say %q", c.seed, err, part)
			}
		}
	}
}

// TestResolveFieldCollisionAtOperationID: with origins, the error stands
// at the operationId, whether the operation is marked or not.
func TestResolveFieldCollisionAtOperationID(t *testing.T) {
	spec := writeSpec(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      x-idempotent: true
      operationId: ServerInterface
      responses:
        "201": {description: ok}
  /b:
    post:
      operationId: serverInterface
      responses:
        "201": {description: ok}
`)
	doc := loadDoc(t, spec)
	m := markAll(doc, spec)
	m.Operations = m.Operations[:1]
	_, _, err := Resolve(doc, Config{}, m)
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], spec+":7:7: POST /a: ") || !strings.HasPrefix(lines[1], spec+":12:7: POST /b: ") {
		t.Errorf("want one error at each operationId, got:\n%v", err)
	}
}

// TestRenderFieldCollision: a model built without Resolve is checked too,
// at the operation's origin.
func TestRenderFieldCollision(t *testing.T) {
	m := model.Model{Operations: []model.Operation{{Method: "POST", Path: "/x", OperationID: "serverInterface", GoName: "ServerInterface",
		Policy: model.DefaultPolicy, Origin: model.Origin{File: "s.yaml", Line: 3, Column: 7}}}}
	_, err := Render(m, Options{Package: "api"})
	if err == nil || !strings.HasPrefix(err.Error(), `s.yaml:3:7: POST /x: operationId "serverInterface" becomes the ServerInterface method ServerInterface`) {
		t.Errorf("error %v", err)
	}
	m.Operations[0].OperationID = ""
	_, err = Render(m, Options{Package: "api"})
	if err == nil || !strings.Contains(err.Error(), "oapi-codegen names it ServerInterface") || !strings.Contains(err.Error(), "give the operation an operationId") {
		t.Errorf("without an operationId: %v", err)
	}
}

// TestRenderNamesLikeDeclarations: methods may share a name with the
// file's package-scope declarations (a method and a type live in different
// scopes), and parameters named like an import or a declaration are
// renamed in the wrapper, which the body would otherwise not compile with.
func TestRenderNamesLikeDeclarations(t *testing.T) {
	var m model.Model
	var methods []stubMethod
	for i, name := range []string{"IdempotentServer", "NewIdempotentServer", "IdempotentRoutes", "NewIdempotencyMiddleware"} {
		// routeIdempotentServer is the first wrapper's route variable,
		// which no wrapper body names: it stays as it is.
		params := []model.GoParam{{Name: "http", Type: "string"}, {Name: "time", Type: "time.Time"}, {Name: "pHttp", Type: "int"},
			{Name: "idempotency", Type: "int64"}, {Name: "routeIdempotentServer", Type: "string"}, {Name: "s", Type: "bool"}}
		m.Operations = append(m.Operations, model.Operation{Method: "POST", Path: fmt.Sprintf("/%d", i), GoName: name,
			GoParams: params, Policy: model.DefaultPolicy})
		methods = append(methods, stubMethod{name, params})
	}
	src, err := Render(m, Options{Package: "api"})
	if err != nil {
		t.Fatal(err)
	}
	if err := stubTypeCheck(src, methods); err != nil {
		t.Fatalf("does not type-check: %v\n%s", err, src)
	}
	sig := "func (s0 *IdempotentServer) IdempotentServer(w http.ResponseWriter, r *http.Request, pHttp0 string, pTime time.Time, pHttp int, pIdempotency int64, routeIdempotentServer string, s bool)"
	if !strings.Contains(string(src), sig) {
		t.Errorf("want %s in\n%s", sig, src)
	}
}

// TestRenderImportNameCollision: a parameter type from a package whose
// name the file already uses cannot be imported.
func TestRenderImportNameCollision(t *testing.T) {
	m := model.Model{Operations: []model.Operation{{Method: "POST", Path: "/x/{k}", GoName: "PostX", Policy: model.DefaultPolicy,
		Origin:   model.Origin{File: "s.yaml", Line: 3, Column: 7},
		GoParams: []model.GoParam{{Name: "k", Type: "idempotency.Key", Import: `"example.com/other/idempotency"`}}}}}
	_, err := Render(m, Options{Package: "api"})
	want := `s.yaml:3:7: POST /x/{k}: parameter k needs the package "example.com/other/idempotency", but idempotency.gen.go already uses the name idempotency (for the import "github.com/idemgen/idemgen/runtime/idempotency")`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

// TestRenderImportNamedLikeRoute: an import named like a wrapper's route
// variable is refused with the way out, like any other name the file
// already uses.
func TestRenderImportNamedLikeRoute(t *testing.T) {
	m := model.Model{Operations: []model.Operation{{Method: "POST", Path: "/x/{k}", GoName: "PostX", Policy: model.DefaultPolicy,
		Origin:   model.Origin{File: "s.yaml", Line: 3, Column: 7},
		GoParams: []model.GoParam{{Name: "k", Type: "routePostX.Key", Import: `routePostX "example.com/keys"`}}}}}
	_, err := Render(m, Options{Package: "api"})
	want := `s.yaml:3:7: POST /x/{k}: parameter k needs the package routePostX "example.com/keys", but idempotency.gen.go already uses the name routePostX (for its own declaration routePostX)`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v\nwant %s", err, want)
	}
}

// TestReadDeclared: the checks read the names from the file itself.
func TestReadDeclared(t *testing.T) {
	src, m := renderNames(t)
	d, err := readDeclared(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"IdempotentRoutes", "NewIdempotencyMiddleware", "IdempotentServer", "NewIdempotentServer", "routeCreatePayment", "http", "idempotency", "time", "openapi_types", "netip"} {
		if d.scope[name] != 1 {
			t.Errorf("scope[%s] = %d, want 1", name, d.scope[name])
		}
	}
	if !d.fields["ServerInterface"] {
		t.Error("the embedded ServerInterface is not a field")
	}
	for _, op := range m.Operations {
		if op.GoName != "" && (d.methods[op.GoName] != 1 || !d.fields["mw"+op.GoName]) {
			t.Errorf("%s: method %d, field %v", op.GoName, d.methods[op.GoName], d.fields["mw"+op.GoName])
		}
	}
	scope := templateScope()
	if len(scope) != 5 || !scope["routeProbe"] || !scope["IdempotentServer"] || scope["http"] {
		t.Errorf("templateScope() = %v", scope)
	}
}

// writeSpec writes text as openapi.yaml in a fresh directory.
func writeSpec(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestResolveFieldCollisionNothingMarked: a file that wraps nothing still
// embeds ServerInterface, so its methods are checked all the same; a
// document with no such name is not given to oapi-codegen at all.
func TestResolveFieldCollisionNothingMarked(t *testing.T) {
	doc, m := collisionDoc(collisionSeed{"createPayment", "server_interface", "id"})
	m.Operations = nil
	_, _, err := Resolve(doc, Config{}, m)
	if err == nil || !strings.HasPrefix(err.Error(), `spec.yaml: POST /b: operationId "server_interface" becomes the ServerInterface method ServerInterface`) {
		t.Errorf("error %v", err)
	}
	doc, m = collisionDoc(collisionSeed{"createPayment", "listPayments", "id"})
	m.Operations = nil
	broken := func(doc *openapi3.T) *openapi3.T {
		doc.Paths.Value("/b").Post.Parameters = openapi3.Parameters{{Value: openapi3.NewPathParameter("undeclared")}}
		return doc
	}
	probe, _ := collisionDoc(collisionSeed{"createPayment", "listPayments", "id"})
	if _, err := methods(broken(probe), Config{}); err == nil {
		t.Fatal("oapi-codegen accepts a path parameter missing from the path; the test needs another flaw")
	}
	if _, _, err := Resolve(broken(doc), Config{}, m); err != nil {
		t.Errorf("nothing to name, yet oapi-codegen was asked: %v", err)
	}
}
