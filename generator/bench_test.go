package generator

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
)

// benchSpec is the corpus document the generation benchmarks time: Stripe's,
// 4.2 MB with 468 operations, 222 of them POST.
func benchSpec(b *testing.B) string {
	p := filepath.Join(testcases.CorpusDir(b), "stripe-spec3-2023-09.yaml")
	if _, err := os.Stat(p); err != nil {
		b.Skipf("corpus not present: %v", err)
	}
	return p
}

// BenchmarkGenerate times a whole idemgen run on Stripe's spec with every
// POST marked (load, names from oapi-codegen, the Go file, the augmented
// spec and the Markdown page, written to disk) beside oapi-codegen's own
// generation of a std-http server with models for the same document, load
// included in both, as each command does it. The target is idemgen at no
// more than half of oapi-codegen's time.
//
//	go test -run '^$' -bench Generate -benchtime 3x ./generator
func BenchmarkGenerate(b *testing.B) {
	spec := benchSpec(b)
	ctx := context.Background()

	b.Run("idemgen", func(b *testing.B) {
		dir := b.TempDir()
		opts := Options{
			Spec: spec, Package: "stripe", MarkMethods: []string{"POST"},
			GoOut: filepath.Join(dir, DefaultGoOut), SpecOut: filepath.Join(dir, DefaultSpecOut(spec, "yaml")),
			DocsOut: filepath.Join(dir, DefaultDocsOut),
		}
		for b.Loop() {
			// A fresh directory would rewrite every file; the same one
			// measures the common case too, since writing only happens
			// when content changes. Remove the outputs to time the writes.
			for _, p := range []string{opts.GoOut, opts.SpecOut, opts.DocsOut} {
				os.Remove(p)
			}
			if err := Run(ctx, opts); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("oapi-codegen", func(b *testing.B) {
		cfg := codegen.Configuration{PackageName: "stripe",
			Generate: codegen.GenerateOptions{StdHTTPServer: true, Models: true}}
		for b.Loop() {
			doc, err := util.LoadSwagger(spec)
			if err != nil {
				b.Fatal(err)
			}
			// pkg/codegen keeps package state; benchmarks run one at a time.
			if _, err := codegen.Generate(doc, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkLoad times load.Load alone on the same document, the part of a
// run that is idemgen's own reading.
func BenchmarkLoad(b *testing.B) {
	spec := benchSpec(b)
	ctx := context.Background()
	for b.Loop() {
		r, err := load.Load(ctx, spec, load.Options{MarkMethods: []string{"POST"}})
		if err != nil {
			b.Fatal(err)
		}
		if len(r.Model.Operations) == 0 {
			b.Fatal("nothing marked")
		}
	}
}
