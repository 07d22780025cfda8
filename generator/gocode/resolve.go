package gocode

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// codegenMu serialises every use of pkg/codegen, whose configuration,
// name normaliser and spec live in package-level variables.
var codegenMu sync.Mutex

// Resolve returns a copy of m whose operations carry oapi-codegen's Go
// method name and parameter list, as the ServerInterface generated with cfg
// declares them. Operations that cfg's include/exclude filters remove from
// oapi-codegen's output are dropped with a warning, as Filter drops them; a
// model Filter already returned loses nothing more.
//
// cfg's generate section decides what the Go file wraps: any server target
// of oapi-codegen (std-http, chi, gorilla, echo, echo v5, gin, fiber, fiber
// v3, iris, or strict over one) gets IdempotentServer in that target's
// terms (m.Framework); a configuration with no server target (models only,
// client only, nothing) gets the route table alone, and m.RouteTableOnly; a
// target idemgen does not know is an error saying what to use instead.
// Without a configuration file a net/http server is assumed. The returned
// model carries the base paths of doc's servers URLs in any case.
//
// doc must be a document no one else holds: Resolve applies cfg's filters to
// it, as codegen.Generate would. It does not rewrite operationIds.
func Resolve(doc *openapi3.T, cfg Config, m model.Model) (model.Model, []string, error) {
	if doc == nil {
		return model.Model{}, nil, fmt.Errorf("%s: gocode.Resolve: no document", m.Source)
	}
	if err := checkNames(cfg.OutputOptions); err != nil {
		return model.Model{}, nil, fmt.Errorf("%s: %w", configName(cfg), err)
	}
	sh, warnings, err := serverOf(cfg)
	if err != nil {
		return model.Model{}, nil, err
	}
	// Before oapi-codegen sees the document: it panics on a $ref that
	// kin-openapi left without a value, with no word of where.
	if err := checkRefCycles(doc, m.Source); err != nil {
		return model.Model{}, nil, err
	}
	m, filtered := Filter(doc, cfg, m)
	bases, unknown := basePaths(doc, m.Source)
	warnings = slices.Concat(warnings, filtered, unknown)
	m.BasePaths = bases
	if sh != nil {
		m.Framework = sh.Framework
	}
	if cfg.Generate.Client {
		m.ClientType = cmp.Or(cfg.OutputOptions.ClientTypeName, "Client")
	}
	if sh == nil {
		// The route table alone: nothing of oapi-codegen's to name.
		m.RouteTableOnly = true
		m.Operations = slices.Clone(m.Operations)
		for i := range m.Operations {
			m.Operations[i].GoName, m.Operations[i].GoParams = "", nil
		}
		return m, warnings, nil
	}
	if len(m.Operations) == 0 && !namesLikeField(doc) {
		// Nothing to name; the file is the bare route table and server.
		return m, warnings, nil
	}
	if p := cfg.OutputOptions.Overlay.Path; p != "" {
		warnings = append(warnings, fmt.Sprintf(
			"%s: oapi-codegen applies the overlay %s, idemgen does not; give idemgen the same overlay if it renames operations",
			configName(cfg), p))
	}
	applyFilters(doc, cfg.OutputOptions)

	byRoute, err := methods(doc, cfg)
	if err != nil {
		return model.Model{}, nil, fmt.Errorf("%s: oapi-codegen: %w", m.Source, err)
	}

	out := m
	out.Operations = make([]model.Operation, 0, len(m.Operations))
	for _, op := range m.Operations {
		d, ok := byRoute[op.Route()]
		if !ok {
			return model.Model{}, nil, fmt.Errorf("%s: %s: oapi-codegen generates no operation for it", op.Origin, op.Route())
		}
		op.GoName, op.GoParams, op.BindsKey = "", nil, false
		switch {
		case d.aliasOf != "":
			// A path item that $refs another path has no method of its
			// own: oapi-codegen routes it to the target's, whose wrapper
			// then serves it too (under the target's key scope).
			warnings = append(warnings, fmt.Sprintf("%s: %s $refs another path item; oapi-codegen serves it with %s, so that operation's wrapper and policy apply to it",
				op.Origin, op.Route(), d.aliasOf))
		default:
			op.GoName, op.GoParams, op.BindsKey = d.name, d.params, d.bindsKey
		}
		out.Operations = append(out.Operations, op)
	}
	if err := checkServer(doc, out, byRoute); err != nil {
		return model.Model{}, nil, err
	}
	return out, warnings, nil
}

// method is a ServerInterface method as oapi-codegen declares it.
type method struct {
	name     string
	params   []model.GoParam
	bindsKey bool   // its handler binds an Idempotency-Key header parameter
	aliasOf  string // set for a path alias, which has no method of its own
}

// methods returns oapi-codegen's ServerInterface methods for doc, keyed by
// "METHOD /path". Every name and type is computed under codegenMu: the
// ParameterDefinition methods read codegen's package state too.
func methods(doc *openapi3.T, cfg Config) (_ map[string]method, err error) {
	codegenMu.Lock()
	defer codegenMu.Unlock()
	// codegen keeps the document it was given in a package variable: let
	// go of it, so that a large document is not held to the end of the run.
	defer codegen.SetGlobalStateSpec(nil)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	defs, err := operationDefinitions(doc, cfg)
	if err != nil {
		return nil, err
	}
	out := make(map[string]method, len(defs))
	for _, d := range defs {
		if d.IsAlias {
			out[d.Method+" "+d.Path] = method{aliasOf: d.AliasTarget}
			continue
		}
		out[d.Method+" "+d.Path] = method{name: d.OperationId, params: goParams(d, cfg.OutputOptions.TypeMapping), bindsKey: bindsKey(d)}
	}
	return out, nil
}

// bindsKey reports that oapi-codegen's handler for d binds the
// Idempotency-Key header: it looks the header up by its canonical name,
// whatever the letter case the document declares it in.
func bindsKey(d codegen.OperationDefinition) bool {
	for _, p := range d.HeaderParams {
		if http.CanonicalHeaderKey(p.ParamName) == contract.HeaderKey {
			return true
		}
	}
	return false
}

// goParams lists the ServerInterface arguments after (w, r), as
// oapi-codegen's server templates write them (genParamArgs, then params).
func goParams(d codegen.OperationDefinition, mapping *codegen.TypeMapping) []model.GoParam {
	var ps []model.GoParam
	for _, p := range d.PathParams {
		typ := p.TypeDef()
		ps = append(ps, model.GoParam{Name: p.GoVariableName(), Type: typ, Import: paramImport(typ, p, mapping)})
	}
	if d.RequiresParamObject() {
		ps = append(ps, model.GoParam{Name: "params", Type: d.OperationId + "Params"})
	}
	return ps
}

// operationDefinitions runs codegen.OperationDefinitions with codegen's
// package state set up for cfg. The caller holds codegenMu.
//
// OperationDefinitions needs the name normaliser, initialisms, type mapping
// and import mapping that only codegen.Generate installs. Generate on the
// whole document renders every template and costs as much as oapi-codegen
// itself, so it runs on an empty document of the same OpenAPI version,
// with nothing to generate; the real document is then installed with
// SetGlobalStateSpec. Only resolve-type-name-collisions depends on the
// real document's schemas, so with it Generate sees the real document.
func operationDefinitions(doc *openapi3.T, cfg Config) ([]codegen.OperationDefinition, error) {
	opts := cfg.Configuration
	opts.PackageName = "idemgen"
	opts.Generate = codegen.GenerateOptions{}
	opts.OutputOptions.SkipFmt = true
	opts.OutputOptions.SkipPrune = true
	opts.OutputOptions.UserTemplates = nil
	opts.OutputOptions.IncludeTags, opts.OutputOptions.ExcludeTags = nil, nil
	opts.OutputOptions.IncludeOperationIDs, opts.OutputOptions.ExcludeOperationIDs = nil, nil
	// Keep the document's operationIds as written.
	opts.Compatibility.PreserveOriginalOperationIdCasingInEmbeddedSpec = true

	prime := &openapi3.T{OpenAPI: doc.OpenAPI, Info: &openapi3.Info{Title: "idemgen", Version: "0"}, Paths: openapi3.NewPaths()}
	if opts.OutputOptions.ResolveTypeNameCollisions {
		prime = doc
	}

	if _, err := codegen.Generate(prime, opts); err != nil {
		return nil, err
	}
	codegen.SetGlobalStateSpec(doc)
	return codegen.OperationDefinitions(doc)
}

func configName(cfg Config) string {
	if cfg.Path == "" {
		return "oapi-codegen defaults"
	}
	return cfg.Path
}
