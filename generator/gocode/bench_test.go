package gocode

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// stripeSpec is the corpus document the generation benchmark is about.
func stripeSpec(b *testing.B) string {
	p := filepath.Join("..", "..", "..", "shared", "corpus", "specs", "stripe-spec3-2023-09.yaml")
	if _, err := os.Stat(p); err != nil {
		b.Skipf("corpus not present: %v", err)
	}
	return p
}

// BenchmarkResolveRenderStripe is idemgen's Go step on Stripe's spec with
// every unsafe operation marked, beside BenchmarkOapiCodegenStdHTTPStripe.
// Loading is excluded from both.
func BenchmarkResolveRenderStripe(b *testing.B) {
	spec := stripeSpec(b)
	doc := loadDoc(b, spec)
	m := markAll(doc, spec)
	b.ResetTimer()
	for b.Loop() {
		r, _, err := Resolve(doc, Config{}, m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Render(r, Options{Package: "stripe"}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(m.Operations)), "ops")
}

// BenchmarkOapiCodegenStdHTTPStripe is oapi-codegen generating a std-http
// server with models for the same document, formatted as it ships.
func BenchmarkOapiCodegenStdHTTPStripe(b *testing.B) {
	spec := stripeSpec(b)
	for b.Loop() {
		b.StopTimer()
		doc := loadDoc(b, spec) // Generate mutates its document
		b.StartTimer()
		codegenMu.Lock()
		_, err := codegen.Generate(doc, codegen.Configuration{PackageName: "stripe",
			Generate: codegen.GenerateOptions{StdHTTPServer: true, Models: true}})
		codegenMu.Unlock()
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckRefCyclesStripe is the $ref walk Resolve makes before
// oapi-codegen sees the document, on Stripe's spec: part of
// BenchmarkResolveRenderStripe, measured alone.
func BenchmarkCheckRefCyclesStripe(b *testing.B) {
	doc := loadDoc(b, stripeSpec(b))
	b.ResetTimer()
	for b.Loop() {
		if err := checkRefCycles(doc, "stripe"); err != nil {
			b.Fatal(err)
		}
	}
}
