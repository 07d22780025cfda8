package generator

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/go/packages"
)

// claimOnlyCase is the golden case the checks below compile against: one
// with several wrapped operations and path parameters.
const claimOnlyCase = "path_params"

// claimOnlyUser is user code beside the generated file: a store with the
// five ClaimStore methods and nothing else (no seed Store methods), passed
// to both generated constructors.
const claimOnlyUser = `package api

import (
	"context"
	"net/http"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

type claimOnly struct{}

func (claimOnly) Claim(context.Context, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, nil
}
func (claimOnly) Complete(context.Context, string, string, *idempotency.Record) error { return nil }
func (claimOnly) Abandon(context.Context, string, string) error                       { return nil }
func (claimOnly) Renew(context.Context, string, string, time.Duration) error          { return nil }
func (claimOnly) TTL() time.Duration                                                  { return time.Hour }

var (
	_ *IdempotentServer               = NewIdempotentServer(nil, claimOnly{})
	_ func(http.Handler) http.Handler = NewIdempotencyMiddleware(claimOnly{})
	_ *IdempotentServer               = NewIdempotentServer(nil, idempotency.NewMemoryStore(time.Hour))
	_ func(http.Handler) http.Handler = NewIdempotencyMiddleware(idempotency.AdaptStore(nil))
)
`

// TestGoldenClaimOnlyStore: a store implementing exactly ClaimStore, as
// README.md "Stores" tells users to write one, compiles into the generated
// NewIdempotentServer and NewIdempotencyMiddleware (and MemoryStore still
// does, unchanged).
func TestGoldenClaimOnlyStore(t *testing.T) {
	for _, e := range typecheckGolden(t, claimOnlyCase, nil, claimOnlyUser) {
		t.Error(e)
	}
}

// TestGoldenRenamedOperationFails: an operation renamed in the spec (so in
// oapi-codegen's ServerInterface) but not in a stale idempotency.gen.go is
// a compile error at the wrapper's call, not a wrapper that never runs
// while the renamed method goes unprotected, on every server target. The
// file has no separate guard for this; the wrapper bodies are the guard.
// All cases load in one go/packages call: the framework servers' imports
// are then type-checked once.
func TestGoldenRenamedOperationFails(t *testing.T) {
	names := []string{claimOnlyCase, "echo_server", "gin_server", "fiber_server", "iris_server", "echo5_server", "fiber_v3_server", "strict_echo_server", "strict_gin_server"}
	want := map[string]string{}
	var cases []goldenPkg
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join("..", "golden", name, DefaultGoOut))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`func \(s \*IdempotentServer\) (\w+)\(`).FindSubmatch(src)
		if m == nil {
			t.Fatalf("%s wraps no operation", name)
		}
		op := string(m[1])
		// Renaming the operationId renames exactly this identifier in
		// oapi-codegen's output; its parameter types keep their names.
		rename := func(server []byte) []byte {
			return regexp.MustCompile(`\b`+op+`\b`).ReplaceAll(server, []byte(op+"Renamed"))
		}
		want[name] = "s.ServerInterface." + op + " undefined"
		cases = append(cases, goldenPackage(t, name, rename, ""))
	}
	for name, errs := range typecheckPackages(t, cases) {
		found := false
		for _, e := range errs {
			found = found || strings.Contains(e.Msg, want[name])
		}
		if !found {
			t.Errorf("%s: renaming the operation in ServerInterface: errors %v, want one with %q", name, errs, want[name])
		}
	}
}

// typecheckGolden type-checks the golden Go file of the case beside
// oapi-codegen's server for it (changed by edit, when given) and user, a
// third file when not empty, in memory as TestGoldenTypeChecks does, and
// returns the errors.
func typecheckGolden(t *testing.T, name string, edit func([]byte) []byte, user string) []packages.Error {
	t.Helper()
	return typecheckPackages(t, []goldenPkg{goldenPackage(t, name, edit, user)})[name]
}

// goldenPkg is a golden case's package as the type checks load it: its
// directory under testdata/typecheck and its files, in memory.
type goldenPkg struct {
	name, dir string
	files     map[string][]byte
}

// goldenPackage is the package of the case's golden Go file beside
// oapi-codegen's server for it (changed by edit, when given) and user, a
// third file when not empty.
func goldenPackage(t *testing.T, name string, edit func([]byte) []byte, user string) goldenPkg {
	t.Helper()
	if testing.Short() {
		t.Skip("type-checking runs the go command; skipped with -short")
	}
	ctx := context.Background()
	var c goldenCase
	for _, gc := range goldenCases(t) {
		if gc.name == name {
			c = gc
		}
	}
	if c.name == "" {
		t.Fatalf("no golden case %s", name)
	}
	golden := filepath.Join("..", "golden", name)
	wrappers, err := os.ReadFile(filepath.Join(golden, DefaultGoOut))
	if err != nil {
		t.Fatal(err)
	}
	server, err := oapiServer(ctx, c, golden)
	if err != nil {
		t.Fatalf("oapi-codegen: %v", err)
	}
	if edit != nil {
		server = edit(server)
	}
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	p := goldenPkg{name: name, dir: filepath.Join(self, "testdata", "typecheck", "claimstore_"+name), files: map[string][]byte{
		"server.gen.go": server,
		DefaultGoOut:    wrappers,
	}}
	if user != "" {
		p.files["user.go"] = []byte(user)
	}
	return p
}

// typecheckPackages loads the packages in one go/packages call, from an
// overlay (nothing is written), and returns each one's errors by case.
func typecheckPackages(t *testing.T, cases []goldenPkg) map[string][]packages.Error {
	t.Helper()
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	overlay := map[string][]byte{}
	byDir := map[string]goldenPkg{}
	var patterns []string
	for _, c := range cases {
		for f, src := range c.files {
			overlay[filepath.Join(c.dir, f)] = src
		}
		byDir[c.dir] = c
		patterns = append(patterns, "./testdata/typecheck/"+filepath.Base(c.dir))
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
	out := map[string][]packages.Error{}
	for _, p := range pkgs {
		if len(p.GoFiles) == 0 {
			t.Fatalf("package %s has no files: %v", p.PkgPath, p.Errors)
		}
		c, ok := byDir[filepath.Dir(p.GoFiles[0])]
		if !ok || len(p.GoFiles) != len(c.files) {
			t.Fatalf("loaded %s with files %v; want one of the cases' packages", p.PkgPath, p.GoFiles)
		}
		out[c.name] = p.Errors
	}
	if len(out) != len(cases) {
		t.Fatalf("loaded %d packages, files %v; want %d", len(pkgs), pkgGoFiles(pkgs), len(cases))
	}
	return out
}

func pkgGoFiles(pkgs []*packages.Package) [][]string {
	var out [][]string
	for _, p := range pkgs {
		out = append(out, p.GoFiles)
	}
	return out
}
