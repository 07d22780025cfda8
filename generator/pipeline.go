package generator

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/augment"
	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/lint"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/markdown"
	"github.com/idemgen/idemgen/generator/model"
)

// pipeline is one run: what was asked for and what was loaded, set by
// prepare. Its methods are render's steps, in order.
type pipeline struct {
	ctx     context.Context
	opts    Options
	r       *load.Result
	cfg     gocode.Config
	targets []target
	wants   map[string]bool // by output kind
}

// result is one output's bytes, or why it could not be rendered.
type result struct {
	data []byte
	err  error
}

// specResult is the augmented spec and what it could not document.
type specResult struct {
	result
	warnings []string
}

// prepare checks opts, loads the document and reads oapi-codegen's
// configuration: the steps whose failure stops everything.
func prepare(ctx context.Context, opts Options) (*pipeline, error) {
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
	p := &pipeline{ctx: ctx, opts: opts, r: r, wants: map[string]bool{}}
	p.warn(r.Warnings)
	if p.targets, err = opts.targets(r.Model.Format); err != nil {
		return nil, err
	}
	if p.cfg, err = gocode.LoadConfig(opts.OapiConfig); err != nil {
		return nil, err
	}
	for _, t := range p.targets {
		p.wants[t.kind] = true
	}
	return p, nil
}

// filter drops the operations that oapi-codegen's include/exclude options
// leave out of its server: they get no wrapper, so no output describes
// them. Without a Go file there is no server to match and every marked
// operation stays. It returns the input document too, for Resolve.
func (p *pipeline) filter() (model.Model, *openapi3.T, error) {
	if !p.wants[kindGo] {
		return p.r.Model, nil, p.warnUnscoped(nil)
	}
	doc, err := p.r.Fresh(p.ctx)
	if err != nil {
		return model.Model{}, nil, err
	}
	if err := p.warnUnscoped(doc); err != nil {
		return model.Model{}, nil, err
	}
	m, warnings := gocode.Filter(doc, p.cfg, p.r.Model)
	p.warn(warnings)
	return m, doc, nil
}

// serverFromSpec reports that oapi-codegen's server is generated from the
// augmented spec, so that the Go names are read from it.
func (p *pipeline) serverFromSpec() bool {
	return p.wants[kindGo] && p.opts.ServerSpec == ServerSpecAugmented
}

// augment renders the augmented spec from the filtered model, when it is
// asked for or the server is generated from it. It needs no Go names.
func (p *pipeline) augment(m model.Model) specResult {
	if !p.wants[kindSpec] && !p.serverFromSpec() {
		return specResult{}
	}
	res, err := safe("augment.Augment", func() (*augment.Result, error) { return augment.Augment(p.r.Root, m) })
	if err != nil {
		return specResult{result: result{err: err}}
	}
	return specResult{result: result{data: res.Spec}, warnings: res.Warnings}
}

// goFile names the operations as oapi-codegen's ServerInterface does, from
// doc or, with the server generated from it, from the augmented spec, and
// renders the Go file. It returns the final model, whose operations carry
// their Go names; m when there is no Go file or no names, so that the other
// outputs still render.
func (p *pipeline) goFile(m model.Model, doc *openapi3.T, spec specResult) (model.Model, result) {
	if !p.wants[kindGo] {
		return m, result{}
	}
	if p.serverFromSpec() {
		var err error
		if doc, err = p.loadAugmented(spec); err != nil {
			return m, result{err: err}
		}
	}
	type named struct {
		m        model.Model
		warnings []string
	}
	n, err := safe("gocode.Resolve", func() (named, error) {
		m, warnings, err := gocode.Resolve(doc, p.cfg, m)
		return named{m, warnings}, err
	})
	if err != nil {
		return m, result{err: err}
	}
	p.warn(n.warnings)
	return n.m, asResult(safe("gocode.Render", func() ([]byte, error) {
		return gocode.Render(n.m, gocode.Options{Package: packageName(p.opts.Package, p.cfg.PackageName), Source: filepath.Base(p.opts.Spec)})
	}))
}

// loadAugmented loads the augmented spec, for Resolve to read.
func (p *pipeline) loadAugmented(spec specResult) (*openapi3.T, error) {
	if spec.err != nil {
		return nil, fmt.Errorf("the augmented spec, which the server is generated from: %w", spec.err)
	}
	r, err := load.LoadBytes(p.ctx, p.opts.Spec, spec.data, load.Options{AllowRemoteRefs: p.opts.AllowRemoteRefs, AllowRefDirs: p.opts.AllowRefDirs})
	if err != nil {
		return nil, fmt.Errorf("the augmented spec does not load: %w", err)
	}
	return r.Fresh(p.ctx)
}

// outputs renders the Markdown page and the overlay from the final model
// and returns every target's output in order. What the augmented spec
// could not say is said here, once, after the warnings about names.
func (p *pipeline) outputs(final model.Model, goOut result, spec specResult) []output {
	got := map[string]result{kindGo: goOut, kindSpec: spec.result}
	if p.wants[kindDocs] {
		got[kindDocs] = asResult(safe("markdown.RenderSpec", func() ([]byte, error) { return markdown.RenderSpec(final, p.r.Root) }))
	}
	if p.wants[kindOverlay] {
		got[kindOverlay] = asResult(safe("augment.Overlay", func() ([]byte, error) { return augment.Overlay(p.r.Root, final) }))
	}
	p.warn(spec.warnings)
	outs := make([]output, 0, len(p.targets))
	for _, t := range p.targets {
		outs = append(outs, output{target: t, data: got[t.kind].data, err: got[t.kind].err})
	}
	return outs
}

// asResult holds a renderer's two results as one.
func asResult(data []byte, err error) result { return result{data, err} }

// warnUnscoped prints the one lint rule generation repeats: an
// authenticated operation whose keys every caller shares can replay one
// caller's response to another. It reads doc (nil: a fresh one, for a run
// with no Go file) before Resolve rewrites it.
func (p *pipeline) warnUnscoped(doc *openapi3.T) error {
	if p.opts.Stderr == nil {
		return nil
	}
	found, err := lint.UnscopedAuth(p.ctx, p.r, doc)
	if err != nil {
		return err
	}
	for _, f := range found {
		p.warn([]string{f.String()})
	}
	return nil
}

// warn prints warnings, when Options.Stderr asks for them.
func (p *pipeline) warn(warnings []string) {
	if p.opts.Stderr == nil {
		return
	}
	for _, w := range warnings {
		fmt.Fprintln(p.opts.Stderr, "idemgen: warning:", w)
	}
}
