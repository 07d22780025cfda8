package e2e

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"golang.org/x/tools/go/packages"
)

// stdHTTP is what the type checks generate with oapi-codegen: the std-http
// server, whose ServerInterface chi and gorilla share, and its models.
var stdHTTP = codegen.GenerateOptions{StdHTTPServer: true, Models: true}

// typeCheck loads every package of m with go/packages, type-checking the
// module's own packages from source and their dependencies from the build
// cache, and returns the errors of each package that has any, keyed by its
// directory relative to the module.
func typeCheck(t testing.TB, m *tempModule) map[string][]string {
	t.Helper()
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports |
			packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo,
		Dir:   m.Dir,
		Env:   m.Env(),
		Tests: false,
	}
	pkgs, err := packages.Load(cfg, "./...")
	if err != nil {
		t.Fatalf("packages.Load in %s: %v", m.Dir, err)
	}
	failed := map[string][]string{}
	for _, p := range pkgs {
		dir := strings.TrimPrefix(strings.TrimPrefix(p.PkgPath, m.Path), "/")
		for _, e := range p.Errors {
			if e.Kind == packages.ListError && strings.HasPrefix(e.Msg, "# ") {
				// The go command's compile of the package: the type
				// checker reports the same errors one by one.
				continue
			}
			failed[dir] = append(failed[dir], strings.TrimPrefix(e.Error(), m.Dir+string(filepath.Separator)))
		}
	}
	for dir, errs := range failed {
		slices.Sort(errs)
		failed[dir] = slices.Compact(errs)
	}
	return failed
}
