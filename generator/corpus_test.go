package generator

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
)

// corpusMarks are the methods the corpus runs mark, since its documents
// carry no x-idempotent of their own.
var corpusMarks = []string{"POST", "PATCH"}

// expectedFailures are the corpus documents that are broken, with a piece
// of the error each must give (see the corpus README).
var expectedFailures = map[string]string{
	"square-2025-08.json":      `$ref "#/components/schemas/CatalogModifierToggleOverrideType" cannot be resolved`,
	"swagger20-slack-web.json": "tuple-form items is not allowed in Swagger 2.0",
}

// TestCorpus runs idemgen on every corpus document with every POST and
// PATCH marked: each run either generates all outputs or fails with an
// error that names the document, never a panic.
func TestCorpus(t *testing.T) {
	ctx := context.Background()
	var loaded, generated int
	var failures []string
	for _, c := range testcases.Corpus(t) {
		t.Run(c.Name, func(t *testing.T) {
			dir := t.TempDir()
			specOut := filepath.Join(dir, DefaultSpecOut(c.Spec, "yaml"))
			const wantOuts = 3 // the Go file, the augmented spec, the Markdown
			if _, err := load.Load(ctx, c.Spec, load.Options{MarkMethods: corpusMarks}); err == nil {
				loaded++
			}
			var warnings bytes.Buffer
			err := runNoPanic(ctx, Options{
				Spec: c.Spec, Package: "api", MarkMethods: corpusMarks, Stderr: &warnings,
				GoOut: filepath.Join(dir, DefaultGoOut), SpecOut: specOut,
				DocsOut: filepath.Join(dir, DefaultDocsOut),
			})
			if want, broken := expectedFailures[c.Name]; broken {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("want an error containing %q, got %v", want, err)
				}
			}
			if err == nil {
				generated++
				if n := len(entries(t, dir)); n != wantOuts {
					t.Errorf("%d outputs written, want %d", n, wantOuts)
				}
				return
			}
			if strings.Contains(err.Error(), "panic") || strings.Contains(err.Error(), "internal error") {
				t.Errorf("not a clear error: %v", err)
			}
			if !strings.Contains(err.Error(), c.Spec) && !strings.Contains(err.Error(), filepath.Dir(c.Spec)) && !strings.Contains(err.Error(), dir) {
				t.Errorf("the error names neither the document nor an output: %v", err)
			}
			first, _, _ := strings.Cut(err.Error(), "\n")
			failures = append(failures, fmt.Sprintf("%s: %s", c.Name, strings.TrimPrefix(first, c.Spec+":")))
		})
	}
	t.Logf("corpus with %s marked: %d loaded, %d generated, %d failed", strings.Join(corpusMarks, ","),
		loaded, generated, len(failures))
	for _, f := range failures {
		t.Log("  failed:", f)
	}
}

// runNoPanic runs Run and turns a panic into a test-visible error with its
// stack, so that one bad document shows up as a failure of its own.
func runNoPanic(ctx context.Context, opts Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return Run(ctx, opts)
}
