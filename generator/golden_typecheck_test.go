package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"golang.org/x/tools/go/packages"

	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
)

// TestGoldenTypeChecks type-checks every golden idempotency.gen.go in one
// package with oapi-codegen's own server and models for the same spec (the
// std-http server, or the framework server the case's configuration asks
// for) (with the case's oapi-codegen configuration, overlay and server
// spec), so a golden file that drifts from oapi-codegen's names or
// signatures fails here, not in a user's build. A case whose configuration
// generates no server (models_only) is checked against exactly what that
// configuration generates, which declares no ServerInterface: its route
// table must stand alone.
//
// The packages exist only in memory: go/packages reads them through an
// overlay at generator/testdata/typecheck/<case>, inside this module, so the
// runtime resolves to this checkout and nothing is written.
func TestGoldenTypeChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checking runs the go command; skipped with -short")
	}
	ctx := context.Background()
	self, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	overlay := map[string][]byte{}
	cases := map[string]string{} // package dir → case
	serverless := map[string]bool{}
	var patterns []string
	for _, c := range goldenCases(t) {
		if strings.HasPrefix(c.name, "bad_") {
			continue
		}
		golden := filepath.Join("..", "golden", c.name)
		wrappers, err := os.ReadFile(filepath.Join(golden, DefaultGoOut))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		server, withServer, err := oapiOutput(ctx, c, golden)
		if err != nil {
			t.Errorf("%s: oapi-codegen: %v", c.name, err)
			continue
		}
		serverless[c.name] = !withServer
		dir := filepath.Join(self, "testdata", "typecheck", c.name)
		overlay[filepath.Join(dir, "server.gen.go")] = server
		overlay[filepath.Join(dir, DefaultGoOut)] = wrappers
		cases[dir] = c.name
		patterns = append(patterns, "./testdata/typecheck/"+c.name)
	}
	if len(patterns) == 0 {
		t.Fatal("no golden case to type-check")
	}
	pkgs, err := packages.Load(&packages.Config{
		Context: ctx,
		Mode:    packages.NeedName | packages.NeedFiles | packages.NeedSyntax | packages.NeedTypes,
		Dir:     self,
		Overlay: overlay,
	}, patterns...)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range pkgs {
		name := p.PkgPath
		if len(p.GoFiles) > 0 {
			name = cases[filepath.Dir(p.GoFiles[0])]
		}
		for _, e := range p.Errors {
			t.Errorf("%s: %v", name, e)
		}
		if len(p.Errors) == 0 && len(p.Syntax) == 2 {
			checked++
		}
		if serverless[name] && p.Types != nil && p.Types.Scope().Lookup("ServerInterface") != nil {
			t.Errorf("%s: checked beside a ServerInterface, though its configuration generates none", name)
		}
	}
	if !serverless["models_only"] {
		t.Error("no models_only case checked without a server")
	}
	if checked != len(patterns) {
		t.Errorf("%d of %d golden Go files type-checked", checked, len(patterns))
	}
}

// oapiServer is what `oapi-codegen` with std-http-server (or the configured
// framework's server) and models makes of
// the case's spec, as a user would run it beside idemgen: with the case's
// configuration file and overlay, and from the augmented spec where the
// case generates its server from that. A configuration that generates no
// server is used as it is.
func oapiServer(ctx context.Context, c goldenCase, golden string) ([]byte, error) {
	src, _, err := oapiOutput(ctx, c, golden)
	return src, err
}

// oapiOutput is oapiServer's output, and whether it has a server.
func oapiOutput(ctx context.Context, c goldenCase, golden string) (_ []byte, withServer bool, err error) {
	co, err := loadCaseOptions(c.dir)
	if err != nil {
		return nil, false, err
	}
	spec := filepath.Join(c.dir, c.entry)
	lopts := load.Options{}
	if co.Overlay != "" {
		data, err := os.ReadFile(filepath.Join(c.dir, co.Overlay))
		if err != nil {
			return nil, false, err
		}
		lopts.Overlay = data
	}
	var r *load.Result
	if co.ServerSpec == ServerSpecAugmented {
		var aug []byte
		if aug, err = os.ReadFile(filepath.Join(golden, DefaultSpecOut(c.entry, ""))); err == nil {
			r, err = load.LoadBytes(ctx, spec, aug, load.Options{})
		}
	} else {
		r, err = load.Load(ctx, spec, lopts)
	}
	if err != nil {
		return nil, false, err
	}
	cfg := gocode.Config{}
	if co.OapiConfig != "" {
		if cfg, err = gocode.LoadConfig(filepath.Join(c.dir, co.OapiConfig)); err != nil {
			return nil, false, err
		}
	}
	doc, err := r.Fresh(ctx)
	if err != nil {
		return nil, false, err
	}
	conf := cfg.Configuration
	conf.PackageName = "api"
	g := conf.Generate
	framework := g.EchoServer || g.Echo5Server || g.GinServer || g.FiberServer || g.FiberV3Server || g.IrisServer
	withServer = co.OapiConfig == "" || g.StdHTTPServer || g.ChiServer || g.GorillaServer || framework
	switch {
	case framework:
		// The framework's own server, strict or not, as configured: the
		// wrappers must compile against exactly that ServerInterface.
		conf.Generate.Models = true
	case withServer:
		// Strict keeps the std-http shape; a client is kept for the
		// ClientOption the file offers over it.
		conf.Generate = codegen.GenerateOptions{StdHTTPServer: true, Models: true, Strict: g.Strict, Client: g.Client}
	}
	src, err := codegen.Generate(doc, conf)
	return []byte(src), withServer, err
}
