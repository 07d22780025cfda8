package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"golang.org/x/tools/go/packages"
)

// stdHTTP is what the type checks generate with oapi-codegen: the std-http
// server, whose ServerInterface chi and gorilla share, and its models.
var stdHTTP = codegen.GenerateOptions{StdHTTPServer: true, Models: true}

// caseOptions is the part of a golden case's options.json that decides
// what oapi-codegen generates the server from.
type caseOptions struct {
	Package     string   `json:"package"`
	MarkMethods []string `json:"markMethods"`
	ServerSpec  string   `json:"serverSpec"`
	OapiConfig  string   `json:"oapiConfig"`
	Overlay     string   `json:"overlay"`
}

// TestGoldenTypeCheck compiles every golden idempotency.gen.go against
// oapi-codegen's std-http server for the same case: its spec (or, for a
// case whose server comes from the augmented spec, the golden augmented
// spec) with the case's oapi-codegen configuration.
func TestGoldenTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module; skipped with -short")
	}
	root := repoRoot(t)
	goldens, _ := filepath.Glob(filepath.Join(root, "golden", "*", "idempotency.gen.go"))
	if len(goldens) == 0 {
		t.Skip("no golden Go files yet")
	}
	m := newTempModule(t, "example.com/golden")
	var dirs []string
	for _, golden := range goldens {
		name := filepath.Base(filepath.Dir(golden))
		caseDir := filepath.Join(root, "testdata", "specs", name)
		api, pkg, err := goldenServer(t, caseDir, filepath.Dir(golden))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		src, err := os.ReadFile(golden)
		must(t, err)
		if !strings.Contains(string(src), "\npackage "+pkg+"\n") {
			t.Errorf("%s: golden file is not in package %s", name, pkg)
			continue
		}
		m.Write(name+"/api.gen.go", api)
		m.Write(name+"/idempotency.gen.go", src)
		dirs = append(dirs, name)
	}
	// The naming corner cases of generator/gocode's own tests, rendered
	// now, under two name normalisers.
	names := filepath.Join(root, "generator", "gocode", "testdata", "names.yaml")
	for dir, config := range map[string]string{
		"gocode_names":             "",
		"gocode_names_initialisms": "output-options:\n  name-normalizer: ToCamelCaseWithInitialisms\n",
		"gocode_names_typemap":     "output-options:\n  type-mapping:\n    string:\n      formats:\n        ipmask: {type: netip.Prefix, import: net/netip}\n",
	} {
		cfg := gocode.Config{}
		if config != "" {
			p := filepath.Join(t.TempDir(), "oapi-codegen.yaml")
			must(t, os.WriteFile(p, []byte(config), 0o644))
			var err error
			cfg, err = gocode.LoadConfig(p)
			must(t, err)
		}
		s := loadSpec(t, names, load.Options{MarkMethods: []string{"POST", "PUT", "PATCH", "DELETE"}})
		api, err := oapiCodegen(s.fresh(t), "api", stdHTTP, cfg.Configuration)
		must(t, err)
		m.Write(dir+"/api.gen.go", api)
		m.Write(dir+"/idempotency.gen.go", s.idemgen(t, "api", cfg))
		dirs = append(dirs, dir)
	}
	for dir, errs := range typeCheck(t, m) {
		t.Errorf("%s: golden idempotency.gen.go does not compile against oapi-codegen's server:\n%s", dir, strings.Join(errs, "\n"))
	}
	t.Logf("type-checked %d generated files: %s", len(dirs), strings.Join(dirs, " "))
}

// goldenServer generates oapi-codegen's server for one golden case and
// returns it with its package name.
func goldenServer(t *testing.T, caseDir, goldenDir string) ([]byte, string, error) {
	var co caseOptions
	if data, err := os.ReadFile(filepath.Join(caseDir, "options.json")); err == nil {
		if err := json.Unmarshal(data, &co); err != nil {
			return nil, "", fmt.Errorf("options.json: %w", err)
		}
	}
	pkg := co.Package
	if pkg == "" {
		pkg = "api"
	}
	cfg := gocode.Config{}
	if co.OapiConfig != "" {
		var err error
		if cfg, err = gocode.LoadConfig(filepath.Join(caseDir, co.OapiConfig)); err != nil {
			return nil, "", err
		}
	}
	opts := load.Options{MarkMethods: co.MarkMethods}
	if co.Overlay != "" {
		ov, err := os.ReadFile(filepath.Join(caseDir, co.Overlay))
		if err != nil {
			return nil, "", err
		}
		opts.Overlay = ov
	}
	entry := ""
	for _, n := range []string{"openapi.yaml", "openapi.yml", "openapi.json"} {
		if _, err := os.Stat(filepath.Join(caseDir, n)); err == nil {
			entry = filepath.Join(caseDir, n)
			break
		}
	}
	if co.ServerSpec == "augmented" {
		aug, _ := filepath.Glob(filepath.Join(goldenDir, "*.idempotent.*"))
		if len(aug) != 1 {
			return nil, "", fmt.Errorf("want one augmented spec in %s, have %v", goldenDir, aug)
		}
		entry, opts = aug[0], load.Options{}
	}
	s := loadSpec(t, entry, opts)
	api, err := oapiCodegen(s.fresh(t), pkg, stdHTTP, cfg.Configuration)
	return api, pkg, err
}

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
