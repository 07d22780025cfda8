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
		m.Write(tg.dir+"/idempotency.gen.go", s.idemgen(t, "api", gocode.Config{}))
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
const wantVariants = (3 + 2 + 1 + 1) * 2

func readProg(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "prog", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
