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
	"path/filepath"

	"github.com/idemgen/idemgen/generator/augment"
	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/markdown"
	"github.com/idemgen/idemgen/generator/model"
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
func render(ctx context.Context, opts Options) ([]output, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	lopts := load.Options{MarkMethods: opts.MarkMethods, AllowRemoteRefs: opts.AllowRemoteRefs, AllowRefDirs: opts.AllowRefDirs}
	if opts.OverlayIn != "" {
		data, err := load.ReadFile(opts.OverlayIn)
		if err != nil {
			return nil, fmt.Errorf("overlay: %w", err)
		}
		lopts.Overlay, lopts.OverlayName = data, opts.OverlayIn
	}
	r, err := load.Load(ctx, opts.Spec, lopts)
	if err != nil {
		return nil, err
	}
	warn := func(ws []string) {
		if opts.Stderr != nil {
			for _, w := range ws {
				fmt.Fprintln(opts.Stderr, "idemgen: warning:", w)
			}
		}
	}
	warn(r.Warnings)
	targets, err := opts.targets(r.Model.Format)
	if err != nil {
		return nil, err
	}
	cfg, err := gocode.LoadConfig(opts.OapiConfig)
	if err != nil {
		return nil, err
	}

	wants := map[string]bool{}
	for _, t := range targets {
		wants[t.kind] = true
	}
	augmented := opts.ServerSpec == ServerSpecAugmented

	// The augmented spec does not depend on oapi-codegen's names, so it is
	// rendered on the second core while Resolve runs, unless the server
	// is generated from it and Resolve must wait for it.
	var spec []byte
	var specErr error
	var specWarnings []string
	augmentSpec := func(m model.Model) ([]byte, error) {
		return safe("augment.Augment", func() ([]byte, error) {
			res, err := augment.Augment(r.Root, m)
			if err != nil {
				return nil, err
			}
			specWarnings = res.Warnings
			return res.Spec, nil
		})
	}
	specDone := make(chan struct{})
	switch {
	case !wants[kindSpec] && !(wants[kindGo] && augmented):
		close(specDone)
	case augmented:
		spec, specErr = augmentSpec(r.Model)
		close(specDone)
	default:
		go func() {
			defer close(specDone)
			spec, specErr = augmentSpec(r.Model)
		}()
	}

	// The published contract covers the operations that get a wrapper, so
	// it is rendered from the resolved model when there is one.
	published := r.Model
	var goSrc []byte
	var goErr error
	if wants[kindGo] {
		var resolved model.Model
		var warnings []string
		// Only in augmented mode does Resolve read the spec, and then it
		// was rendered above, not concurrently.
		augSpec := func() ([]byte, error) { return spec, specErr }
		if !augmented {
			augSpec = nil
		}
		resolved, warnings, goErr = resolve(ctx, r, opts, cfg, augSpec)
		warn(warnings)
		if goErr == nil {
			goSrc, goErr = safe("gocode.Render", func() ([]byte, error) {
				return gocode.Render(resolved, gocode.Options{Package: packageName(opts.Package, cfg.PackageName), Source: filepath.Base(opts.Spec)})
			})
			published = resolved
		}
	}
	<-specDone
	if len(published.Operations) != len(r.Model.Operations) && wants[kindSpec] && specErr == nil {
		// oapi-codegen's configuration filtered operations out: they get
		// no wrapper, so the published contract leaves them out too.
		spec, specErr = augmentSpec(published)
	}
	if specErr == nil {
		// What the published document could not say, said once, for the
		// model it was finally rendered from.
		warn(specWarnings)
	}

	outs := make([]output, 0, len(targets))
	for _, t := range targets {
		o := output{target: t}
		switch t.kind {
		case kindGo:
			o.data, o.err = goSrc, goErr
		case kindSpec:
			o.data, o.err = spec, specErr
		case kindDocs:
			o.data, o.err = safe("markdown.Render", func() ([]byte, error) { return markdown.Render(published) })
		case kindOverlay:
			o.data, o.err = safe("augment.Overlay", func() ([]byte, error) { return augment.Overlay(r.Root, published) })
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// resolve names the operations as oapi-codegen's ServerInterface does, from
// the document oapi-codegen's server is generated from.
func resolve(ctx context.Context, r *load.Result, opts Options, cfg gocode.Config, augmentedSpec func() ([]byte, error)) (model.Model, []string, error) {
	src := r
	if augmentedSpec != nil {
		spec, specErr := augmentedSpec()
		if specErr != nil {
			return model.Model{}, nil, fmt.Errorf("the augmented spec, which the server is generated from: %w", specErr)
		}
		var err error
		src, err = load.LoadBytes(ctx, opts.Spec, spec, load.Options{AllowRemoteRefs: opts.AllowRemoteRefs, AllowRefDirs: opts.AllowRefDirs})
		if err != nil {
			return model.Model{}, nil, fmt.Errorf("the augmented spec does not load: %w", err)
		}
	}
	doc, err := src.Fresh(ctx)
	if err != nil {
		return model.Model{}, nil, err
	}
	var (
		m        model.Model
		warnings []string
	)
	_, err = safe("gocode.Resolve", func() ([]byte, error) {
		var err error
		m, warnings, err = gocode.Resolve(doc, cfg, r.Model)
		return nil, err
	})
	return m, warnings, err
}

// safe runs a renderer and turns its panic into an error: a bug in one
// renderer must not crash go generate.
func safe(name string, f func() ([]byte, error)) (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("internal error in %s: %v", name, p)
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
