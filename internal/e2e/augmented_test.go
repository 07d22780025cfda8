package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/idemgen/idemgen/generator"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// TestEndToEndAugmented is the flow of a user who publishes the augmented
// spec and generates oapi-codegen's server from it, for every server
// target: idemgen runs with -server-spec augmented and that target's
// oapi-codegen configuration, oapi-codegen generates the server from
// idemgen's augmented spec, and the wrappers must compile against it:
// its marked operations take params, and its handlers bind the
// Idempotency-Key header before the wrappers are reached. Over HTTP,
// every target passes the checks of common.go.txt, so a missing or
// repeated key gets the runtime's problem rather than oapi-codegen's
// text. The std-http server also gets oapi-codegen's client, which must
// send the key as a typed parameter and decode the problem responses.
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
	m := newTempModule(t, "example.com/e2eaugmented")
	want := 0
	for _, tg := range targets {
		if tg.dir == "modelsonly" {
			continue // no server, so nothing binds the key
		}
		gen := tg.gen
		if tg.dir == "stdhttp" {
			gen.Client = true
		}
		wrappers, augmented := idemgenAugmented(t, dir, spec, tg.dir, gen)
		api, err := oapiCodegen(augmented.fresh(t), "api", gen, codegen.Configuration{})
		if err != nil {
			t.Fatalf("%s: oapi-codegen on the augmented spec: %v", tg.dir, err)
		}
		if tg.dir == "stdhttp" && !bytes.Contains(api, []byte("IdempotencyKey *IdempotencyKey `json:\"Idempotency-Key,omitempty\"`")) {
			t.Error("oapi-codegen's CreatePaymentParams has no optional IdempotencyKey field")
		}
		impl := augmentImpl(readProg(t, tg.impl))
		if tg.dir == "stdhttp" {
			// The std-http one also records the keys handed to it.
			impl = readProg(t, "impl_augmented.go.txt")
			m.Write(tg.dir+"/client_test.go", readProg(t, "client_augmented.go.txt"))
		}
		variants, n := augmentVariants(t, tg, readProg(t, tg.variants))
		want += n
		m.Write(tg.dir+"/api.gen.go", api)
		m.Write(tg.dir+"/idempotency.gen.go", wrappers)
		m.Write(tg.dir+"/impl.go", impl)
		m.Write(tg.dir+"/variants.go", variants)
		m.Write(tg.dir+"/e2e_test.go", readProg(t, "common.go.txt"))
	}
	args := []string{"test", "-count=1", "-v"}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := m.Go(15*time.Minute, append(args, "./...")...)
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), m.Dir, err, out)
	}
	// Each variant runs over the two stores of common.go.txt.
	if got := bytes.Count(out, []byte("--- PASS: TestEndToEnd/")); got != 2*want {
		t.Errorf("%d variants passed, want %d:\n%s", got, 2*want, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestGeneratedClient")) {
		t.Errorf("the generated client's test did not pass:\n%s", out)
	}
}

// idemgenAugmented runs idemgen as go generate would for a server target
// generated from the augmented spec, with oapi-codegen's configuration for
// gen, and returns the Go file and the augmented spec.
func idemgenAugmented(t *testing.T, dir, spec, name string, gen codegen.GenerateOptions) ([]byte, *spec) {
	t.Helper()
	cfg, err := yaml.Marshal(struct {
		Package  string                  `yaml:"package"`
		Generate codegen.GenerateOptions `yaml:"generate"`
	}{"api", gen})
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, name+".oapi-codegen.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	goOut, specOut := filepath.Join(dir, name+".gen.go"), filepath.Join(dir, name+".idempotent.yaml")
	var stderr bytes.Buffer
	err = generator.Run(context.Background(), generator.Options{
		Spec:       spec,
		Package:    "api",
		GoOut:      goOut,
		SpecOut:    specOut,
		DocsOut:    generator.Skip,
		OapiConfig: cfgPath,
		ServerSpec: generator.ServerSpecAugmented,
		Stderr:     &stderr,
	})
	if err != nil {
		t.Fatalf("%s: idemgen: %v\n%s", name, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("%s: idemgen warned on a spec it can document in full:\n%s", name, stderr.String())
	}
	wrappers, err := os.ReadFile(goOut)
	if err != nil {
		t.Fatal(err)
	}
	return wrappers, loadSpec(t, specOut, load.Options{})
}

// The operations of payments.yaml that gain a params argument in the
// augmented spec: the others already had one (the refund's query).
var gainsParams = regexp.MustCompile(`(func \(s impl\) (CreatePayment|SetMetadata|CancelPayment)\([^)]*)\)`)

// The strict responses of marked operations that the augmented spec gives
// replay headers, by their body's type: oapi-codegen then wraps the body.
var gainsHeaders = regexp.MustCompile(`((?:CreatePayment201|CreatePayment403|RefundPayment201|SetMetadata200|CancelPayment200)JSONResponse)\{([^}]*)\}`)

var bodyOf = map[string]string{
	"CreatePayment201JSONResponse": "Payment", "CreatePayment403JSONResponse": "Error",
	"RefundPayment201JSONResponse": "Refund", "SetMetadata200JSONResponse": "Payment",
	"CancelPayment200JSONResponse": "Payment",
}

// augmentImpl gives an implementation written for the input spec the
// signatures of the server generated from the augmented spec: the marked
// operations' params, and for a strict one (whose request objects carry
// the params) the response objects that carry headers.
func augmentImpl(src []byte) []byte {
	src = gainsParams.ReplaceAll(src, []byte("$1, params ${2}Params)"))
	return gainsHeaders.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := gainsHeaders.FindSubmatch(m)
		return []byte(string(sub[1]) + "{Body: " + bodyOf[string(sub[1])] + "{" + string(sub[2]) + "}}")
	})
}

var (
	registerServer = regexp.MustCompile(`RegisterHandlers\((\w+), NewIdempotentServer\((.*), store\)\)`)
	mountServer    = regexp.MustCompile(`HandlerFromMux\(NewIdempotentServer\((.*), store\), (.*)\)`)
	mountStrict    = regexp.MustCompile(`si := NewIdempotentServer\((.*), store\)\n(\s*)return HandlerFromMux\(si, (.*)\)`)
	// The route table as one of oapi-codegen's MiddlewareFuncs runs after
	// oapi-codegen's handler has bound the key, so a server generated from
	// the augmented spec answers a missing key before it: README.md says
	// to put the table in front of the router there.
	tableAfterBinding = regexp.MustCompile(`(?s)\n\t\t\{name: "route table as oapi-codegen middleware".*?\n\t\t\}\},`)
	variantName       = regexp.MustCompile(`\{name: "`)
)

// augmentVariants rewrites a target's ways of serving the server
// generated from the input spec into those of the server generated from
// the augmented spec, which NewIdempotentHandler or
// RegisterIdempotentHandlers builds, and returns how many there are.
func augmentVariants(t *testing.T, tg target, src []byte) ([]byte, int) {
	t.Helper()
	var options string
	switch g := tg.gen; {
	case g.EchoServer || g.Echo5Server:
		options = "RegisterHandlersOptions"
	case g.GinServer:
		options = "GinServerOptions"
	case g.FiberServer || g.FiberV3Server:
		options = "FiberServerOptions"
	case g.IrisServer:
		options = "IrisServerOptions"
	}
	src = tableAfterBinding.ReplaceAll(src, nil)
	src = mountStrict.ReplaceAll(src, []byte("${2}return NewIdempotentHandler($1, store, func(si ServerInterface) http.Handler { return HandlerFromMux(si, $3) })"))
	src = mountServer.ReplaceAll(src, []byte("NewIdempotentHandler($1, store, func(si ServerInterface) http.Handler { return HandlerFromMux(si, $2) })"))
	src = registerServer.ReplaceAll(src, []byte("RegisterIdempotentHandlers($1, $2, store, "+options+"{})"))
	if bytes.Contains(src, []byte("NewIdempotentServer")) || (options == "" && bytes.Contains(src, []byte("RegisterIdempotentHandlers"))) {
		t.Fatalf("%s: %s still builds the server the input spec's way:\n%s", tg.dir, tg.variants, src)
	}
	return src, len(variantName.FindAll(src, -1))
}
