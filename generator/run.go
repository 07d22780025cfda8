// Package generator is idemgen: it reads an OpenAPI document whose
// operations are marked x-idempotent and writes the Go wrappers that make an
// oapi-codegen server replay retried requests, the document with the
// idempotency contract added, and a Markdown page of the same contract.
//
//	err := generator.Run(ctx, generator.Options{
//		Spec:    "api/openapi.yaml",
//		Package: "api",
//		GoOut:   "api/idempotency.gen.go",
//	})
//
// Run renders every output before it writes any, and writes each through a
// temporary file and a rename, so that on any error no file is written or
// changed, and a file whose content is already right is not touched at all.
// With Options.Check it writes nothing and returns a *CheckError with a
// unified diff for each file that differs, for CI drift checks.
package generator

import (
	"context"
	"errors"
	"fmt"
)

// DefaultPackage is the Go package name used when Options.Package is empty.
const DefaultPackage = "api"

// Run generates the outputs opts asks for, or with opts.Check compares them
// with the files on disk.
func Run(ctx context.Context, opts Options) error {
	outs, err := render(ctx, opts)
	if err != nil {
		return err
	}
	var failed []error
	for _, o := range outs {
		if o.err != nil {
			failed = append(failed, fmt.Errorf("cannot generate %s: %w", o.path, o.err))
		}
	}
	if len(failed) > 0 {
		return errors.Join(failed...)
	}
	if opts.Check {
		return check(outs)
	}
	return write(outs)
}

// output is one rendered file, or why it could not be rendered.
type output struct {
	target
	data []byte
	err  error
}

// render loads the document and renders every output. An error is returned
// for what stops everything (the document does not load); a renderer's
// failure is kept on its output, so that the others can still be compared
// (the golden tests do) while Run refuses to write any.
//
// It is a straight pipeline: load; drop what oapi-codegen's include/exclude
// options drop, which gives the one model every output describes; name the
// operations as oapi-codegen does and render the Go file; render the
// augmented spec from the model (before the Go file when the server is
// generated from the augmented spec, whose names the Go file then reads);
// render the Markdown page and the overlay from the named model.
//
// Nothing runs concurrently. On Stripe's spec the augmented spec and the
// naming overlap little, and BenchmarkPipeline showed no clear gain at two
// cores. On 20,000 operations (BenchmarkBigDocuments) the augmented spec
// on a goroutine of its own took an idle two-core run from 10.8 s to 8.5 s,
// but peak RSS from 0.68 GB to 1.10 GB (its trees then overlap the loaded
// document, held until the names are known), and reading the document for
// it while kin-openapi loads took RSS to 1.45 GB, past oapi-codegen's own
// 1.2 to 1.35 GB; on a busy machine neither saved any time.
func render(ctx context.Context, opts Options) ([]output, error) {
	p, err := prepare(ctx, opts)
	if err != nil {
		return nil, err
	}
	m, doc, err := p.filter()
	if err != nil {
		return nil, err
	}
	if p.serverFromSpec() {
		spec := p.augment(m)
		final, goOut := p.goFile(m, doc, spec)
		return p.outputs(final, goOut, spec), nil
	}
	// The Go file first: the loaded document is needed only for the names,
	// and a large one is then free before the augmented spec's trees are
	// built, which keeps the run's peak memory to the larger of the two.
	final, goOut := p.goFile(m, doc, specResult{})
	spec := p.augment(m)
	return p.outputs(final, goOut, spec), nil
}

// safe runs a renderer and turns its panic into an error: a bug in one
// renderer must not crash go generate.
func safe[T any](name string, f func() (T, error)) (v T, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero T
			v, err = zero, fmt.Errorf("internal error in %s: %v", name, p)
		}
	}()
	return f()
}

// packageName is the package asked for, else the one oapi-codegen's
// configuration writes into (so that `idemgen -check -oapi-config …` run
// outside go generate agrees with what go generate wrote), else the default.
func packageName(asked, oapiConfig string) string {
	switch {
	case asked != "":
		return asked
	case oapiConfig != "":
		return oapiConfig
	}
	return DefaultPackage
}
