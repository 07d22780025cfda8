package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// target is one oapi-codegen server flavour under test.
type target struct {
	dir      string
	gen      codegen.GenerateOptions
	impl     string // testdata/prog file implementing the server
	variants string // testdata/prog file listing the ways to serve it
}

var targets = []target{
	{"stdhttp", codegen.GenerateOptions{StdHTTPServer: true, Models: true}, "impl_std.go.txt", "variants_stdhttp.go.txt"},
	{"chi", codegen.GenerateOptions{ChiServer: true, Models: true}, "impl_std.go.txt", "variants_chi.go.txt"},
	{"gorilla", codegen.GenerateOptions{GorillaServer: true, Models: true}, "impl_std.go.txt", "variants_gorilla.go.txt"},
	{"strict", codegen.GenerateOptions{StdHTTPServer: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict.go.txt"},
	{"echo", codegen.GenerateOptions{EchoServer: true, Models: true}, "impl_echo.go.txt", "variants_echo.go.txt"},
	{"gin", codegen.GenerateOptions{GinServer: true, Models: true}, "impl_gin.go.txt", "variants_gin.go.txt"},
	{"fiber", codegen.GenerateOptions{FiberServer: true, Models: true}, "impl_fiber.go.txt", "variants_fiber.go.txt"},
	{"iris", codegen.GenerateOptions{IrisServer: true, Models: true}, "impl_iris.go.txt", "variants_iris.go.txt"},
	{"echo5", codegen.GenerateOptions{Echo5Server: true, Models: true}, "impl_echo5.go.txt", "variants_echo5.go.txt"},
	{"fiber3", codegen.GenerateOptions{FiberV3Server: true, Models: true}, "impl_fiber3.go.txt", "variants_fiber3.go.txt"},
	{"strictecho", codegen.GenerateOptions{EchoServer: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_echo.go.txt"},
	{"strictgin", codegen.GenerateOptions{GinServer: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_gin.go.txt"},
	{"strictfiber", codegen.GenerateOptions{FiberServer: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_fiber.go.txt"},
	{"strictiris", codegen.GenerateOptions{IrisServer: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_iris.go.txt"},
	{"strictecho5", codegen.GenerateOptions{Echo5Server: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_echo5.go.txt"},
	{"strictfiber3", codegen.GenerateOptions{FiberV3Server: true, Strict: true, Models: true}, "impl_strict.go.txt", "variants_strict_fiber3.go.txt"},
	// Models only: idemgen's file is the route table alone, in front of
	// handlers written by hand, at the root and under a prefix.
	{"modelsonly", codegen.GenerateOptions{Models: true}, "impl_handwritten.go.txt", "variants_modelsonly.go.txt"},
}

// TestEndToEnd generates each server and idemgen's wrappers for
// testdata/payments.yaml into one temporary module, then runs the HTTP
// checks of testdata/prog/common.go.txt there with `go test`.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module; skipped with -short")
	}
	s := loadSpec(t, filepath.Join("testdata", "payments.yaml"), load.Options{})
	m := newTempModule(t, "example.com/e2e")
	common := readProg(t, "common.go.txt")
	for _, tg := range targets {
		api, err := oapiCodegen(s.fresh(t), "api", tg.gen, codegen.Configuration{})
		if err != nil {
			t.Fatalf("%s: oapi-codegen: %v", tg.dir, err)
		}
		m.Write(tg.dir+"/api.gen.go", api)
		// idemgen reads the same generate section as oapi-codegen.
		cfg := gocode.Config{Configuration: codegen.Configuration{Generate: tg.gen}}
		m.Write(tg.dir+"/idempotency.gen.go", s.idemgen(t, "api", cfg))
		m.Write(tg.dir+"/impl.go", readProg(t, tg.impl))
		m.Write(tg.dir+"/variants.go", readProg(t, tg.variants))
		m.Write(tg.dir+"/e2e_test.go", common)
	}
	args := []string{"test", "-count=1", "-v"}
	if raceEnabled {
		args = append(args, "-race") // the servers under the race detector too
	}
	t.Logf("go %s ./... in %s", strings.Join(args, " "), m.Dir)
	out, err := m.Go(10*time.Minute, append(args, "./...")...)
	if err != nil {
		t.Fatalf("go test in %s: %v\n%s", m.Dir, err, out)
	}
	// Every way of serving each target must have run its checks.
	if n := bytes.Count(out, []byte("--- PASS: TestEndToEnd/")); n != wantVariants {
		t.Errorf("%d variants passed, want %d:\n%s", n, wantVariants, out)
	}
	t.Logf("%s", out)
}

// wantVariants counts the variants in testdata/prog/variants_*.go.txt,
// each run over the two stores of common.go.txt (MemoryStore, and a store
// with the ClaimStore methods only).
const wantVariants = (3 + 2 + 1 + 1 + 2 + 2 + 1 + 2 + 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 3) * 2

func readProg(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "prog", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
