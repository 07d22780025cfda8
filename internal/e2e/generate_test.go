package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGoGenerateExample follows the user's path on examples/payments in a
// fresh module: idemgen and oapi-codegen in go.mod's tool section, the
// example's hand-written files only, then `go generate` and `go build`.
// What go generate writes there must be what examples/payments commits.
func TestGoGenerateExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module; skipped with -short")
	}
	root := repoRoot(t)
	example := filepath.Join(root, "examples", "payments")
	m := newTempModule(t, "example.com/payments", "github.com/idemgen/idemgen/cmd/idemgen",
		"github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen")
	for _, f := range handWritten(t, example) {
		data, err := os.ReadFile(filepath.Join(example, f))
		must(t, err)
		m.Write("payments/"+f, data)
	}
	if out, err := m.Go(10*time.Minute, "generate", "./..."); err != nil {
		t.Fatalf("go generate: %v\n%s", err, out)
	}
	if out, err := m.Go(10*time.Minute, "build", "-o", t.TempDir()+string(filepath.Separator), "./..."); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, f := range []string{"api.gen.go", "idempotency.gen.go", "openapi.idempotent.yaml", "IDEMPOTENCY.md"} {
		got, err := os.ReadFile(filepath.Join(m.Dir, "payments", f))
		if err != nil {
			t.Errorf("go generate wrote no %s: %v", f, err)
			continue
		}
		want, err := os.ReadFile(filepath.Join(example, f))
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("examples/payments/%s differs from what go generate writes now (run go generate ./examples/payments)", f)
		}
	}
}

// handWritten lists the example's own files: its spec, its oapi-codegen
// configuration and its Go files, but not its tests or what go generate
// writes.
func handWritten(t *testing.T, dir string) []string {
	t.Helper()
	files := []string{"openapi.yaml", "oapi-codegen.yaml"}
	gos, err := filepath.Glob(filepath.Join(dir, "*.go"))
	must(t, err)
	for _, g := range gos {
		name := filepath.Base(g)
		if !strings.HasSuffix(name, "_test.go") && !strings.HasSuffix(name, ".gen.go") {
			files = append(files, name)
		}
	}
	return files
}
