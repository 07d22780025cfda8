package gocode

import (
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// applyFilters removes from doc the operations that oapi-codegen's
// include/exclude options remove before it generates anything, in the same
// order (tags, then operation ids), so that OperationDefinitions sees the
// document oapi-codegen sees. OperationDefinitions itself ignores these
// options. It returns the removed routes ("POST /x") with the option that
// removed each.
func applyFilters(doc *openapi3.T, o codegen.OutputOptions) map[string]string {
	removed := map[string]string{}
	if doc.Paths == nil {
		return removed
	}
	drop := func(option string, keep func(*openapi3.Operation) bool) {
		for _, path := range doc.Paths.InMatchingOrder() {
			item := doc.Paths.Value(path)
			for method, op := range item.Operations() {
				if !keep(op) {
					item.SetOperation(method, nil)
					removed[method+" "+path] = option
				}
			}
		}
	}
	hasTag := func(tags []string) func(*openapi3.Operation) bool {
		return func(op *openapi3.Operation) bool {
			return slices.ContainsFunc(op.Tags, func(t string) bool { return slices.Contains(tags, t) })
		}
	}
	hasID := func(ids []string) func(*openapi3.Operation) bool {
		return func(op *openapi3.Operation) bool { return slices.Contains(ids, op.OperationID) }
	}
	not := func(f func(*openapi3.Operation) bool) func(*openapi3.Operation) bool {
		return func(op *openapi3.Operation) bool { return !f(op) }
	}
	if len(o.ExcludeTags) > 0 {
		drop("exclude-tags", not(hasTag(o.ExcludeTags)))
	}
	if len(o.IncludeTags) > 0 {
		drop("include-tags", hasTag(o.IncludeTags))
	}
	if len(o.ExcludeOperationIDs) > 0 {
		drop("exclude-operation-ids", not(hasID(o.ExcludeOperationIDs)))
	}
	if len(o.IncludeOperationIDs) > 0 {
		drop("include-operation-ids", hasID(o.IncludeOperationIDs))
	}
	return removed
}
