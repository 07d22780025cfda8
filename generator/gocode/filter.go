package gocode

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// Filter returns m without the operations that cfg's include/exclude
// options remove from oapi-codegen's output, and a warning for each naming
// the option that removed it: they get no wrapper, so no output should
// describe them. doc is the document m was loaded from, whose tags the
// options read; Filter changes neither. A model Filter returned passes
// through it again unchanged, with no warnings.
func Filter(doc *openapi3.T, cfg Config, m model.Model) (model.Model, []string) {
	dropped := excluded(doc, cfg.OutputOptions)
	if len(dropped) == 0 {
		return m, nil
	}
	var warnings []string
	out := m
	out.Operations = make([]model.Operation, 0, len(m.Operations))
	for _, op := range m.Operations {
		if why, ok := dropped[op.Route()]; ok {
			warnings = append(warnings, fmt.Sprintf("%s: %s is excluded by %s in %s; no wrapper is generated",
				op.Origin, op.Route(), why, configName(cfg)))
			continue
		}
		out.Operations = append(out.Operations, op)
	}
	return out, warnings
}

// excluded returns the routes ("POST /x") of doc that oapi-codegen's
// include/exclude options remove before it generates anything, each with
// the option that removed it. oapi-codegen applies the options in turn
// (exclude-tags, include-tags, exclude-operation-ids,
// include-operation-ids), each to what the ones before left, so a route is
// named by the first option that removes it.
func excluded(doc *openapi3.T, o codegen.OutputOptions) map[string]string {
	removed := map[string]string{}
	if doc == nil || doc.Paths == nil {
		return removed
	}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		if item == nil {
			continue
		}
		for method, op := range item.Operations() {
			if why := removedBy(op, o); why != "" {
				removed[method+" "+path] = why
			}
		}
	}
	return removed
}

// removedBy names the first of o's include/exclude options that removes op,
// or returns "" when op stays.
func removedBy(op *openapi3.Operation, o codegen.OutputOptions) string {
	tagged := func(tags []string) bool {
		return slices.ContainsFunc(op.Tags, func(t string) bool { return slices.Contains(tags, t) })
	}
	switch {
	case len(o.ExcludeTags) > 0 && tagged(o.ExcludeTags):
		return "exclude-tags"
	case len(o.IncludeTags) > 0 && !tagged(o.IncludeTags):
		return "include-tags"
	case len(o.ExcludeOperationIDs) > 0 && slices.Contains(o.ExcludeOperationIDs, op.OperationID):
		return "exclude-operation-ids"
	case len(o.IncludeOperationIDs) > 0 && !slices.Contains(o.IncludeOperationIDs, op.OperationID):
		return "include-operation-ids"
	}
	return ""
}

// applyFilters removes from doc the operations that oapi-codegen's
// include/exclude options remove, so that OperationDefinitions, which
// ignores these options, sees the document oapi-codegen generates from.
func applyFilters(doc *openapi3.T, o codegen.OutputOptions) {
	for route := range excluded(doc, o) {
		// A method has no blank in it; a path may.
		method, path, _ := strings.Cut(route, " ")
		doc.Paths.Value(path).SetOperation(method, nil)
	}
}
