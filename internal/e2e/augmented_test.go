package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// TestEndToEndAugmented is the flow of a user who publishes the augmented
// spec and generates oapi-codegen's server and client from it: idemgen runs
// with -server-spec augmented, oapi-codegen generates a std-http server, a
// client and the models from idemgen's output, and the wrappers must
// compile against the server, whose marked operations now take params.
// Over HTTP, the server passes the same checks as the others
// (common.go.txt), and the generated client sends Idempotency-Key as a
// typed parameter and decodes the problem responses.
func TestEndToEndAugmented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a temporary module; skipped with -short")
	}
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "payments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "payments.yaml")
	if err := os.WriteFile(spec, src, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	err = generator.Run(context.Background(), generator.Options{
		Spec:       spec,
		Package:    "api",
		DocsOut:    generator.Skip,
		ServerSpec: generator.ServerSpecAugmented,
		Stderr:     &stderr,
	})
	if err != nil {
		t.Fatalf("idemgen: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("idemgen warned on a spec it can document in full:\n%s", stderr.String())
	}
	augmented := loadSpec(t, filepath.Join(dir, "payments.idempotent.yaml"), load.Options{})
	api, err := oapiCodegen(augmented.fresh(t), "api",
		codegen.GenerateOptions{StdHTTPServer: true, Client: true, Models: true}, codegen.Configuration{})
	if err != nil {
		t.Fatalf("oapi-codegen on the augmented spec: %v", err)
	}
	if !bytes.Contains(api, []byte("IdempotencyKey *IdempotencyKey `json:\"Idempotency-Key,omitempty\"`")) {
		t.Error("oapi-codegen's CreatePaymentParams has no optional IdempotencyKey field")
	}
	wrappers, err := os.ReadFile(filepath.Join(dir, generator.DefaultGoOut))
	if err != nil {
		t.Fatal(err)
	}

	m := newTempModule(t, "example.com/e2eaugmented")
	m.Write("augmented/api.gen.go", api)
	m.Write("augmented/idempotency.gen.go", wrappers)
	m.Write("augmented/impl.go", readProg(t, "impl_augmented.go.txt"))
	m.Write("augmented/variants.go", readProg(t, "variants_augmented.go.txt"))
	m.Write("augmented/e2e_test.go", readProg(t, "common.go.txt"))
	m.Write("augmented/client_test.go", readProg(t, "client_augmented.go.txt"))
	args := []string{"test", "-count=1", "-v"}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := m.Go(10*time.Minute, append(args, "./...")...)
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), m.Dir, err, out)
	}
	for _, want := range []string{"--- PASS: TestEndToEnd/", "--- PASS: TestGeneratedClient"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
}
