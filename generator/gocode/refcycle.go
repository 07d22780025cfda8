package gocode

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

// brokenRef is a $ref that kin-openapi loaded without a value.
type brokenRef struct {
	ref    string
	origin model.Origin
	// component is "schemas/A" when the $ref is the whole of a component.
	component string
	addr      uintptr // the reference object, to match components to walk results
}

// checkRefCycles reports the $refs that lead nowhere: a chain of references
// that comes back to itself before it reaches a definition, such as
// components.schemas.A: {$ref: '#/components/schemas/A'}. kin-openapi loads
// such a document without complaint and leaves the reference's value nil;
// oapi-codegen then dereferences it and panics. A schema that refers to
// itself from inside a definition (a property, allOf, items) is an ordinary
// recursive type and is not reported.
//
// source names the document for references kin-openapi gave no position
// (Swagger 2.0 input carries none).
func checkRefCycles(doc *openapi3.T, source string) error {
	w := refWalker{seen: map[uintptr]reflect.Type{}, shared: map[visit]bool{}, types: map[reflect.Type]*typeInfo{}, source: source}
	w.walk(reflect.ValueOf(doc))
	if len(w.broken) == 0 {
		return nil
	}
	comps := components(doc, &w)
	byAddr := map[uintptr]string{}
	for name, c := range comps {
		byAddr[c.addr] = name
	}
	for i, b := range w.broken {
		w.broken[i].component = byAddr[b.addr]
	}
	var errs []error
	reported := map[string]bool{} // components whose cycle has been reported
	explained := func(b brokenRef) bool {
		name, ok := localComponent(b.ref)
		for seen := map[string]bool{}; ok && !seen[name]; name, ok = localComponent(comps[name].ref) {
			if reported[name] {
				return true
			}
			seen[name] = true
		}
		return false
	}
	// The members of each cycle first, each cycle once, at the member that
	// comes first in the document; then whatever leads into a cycle that
	// this document does not hold (one in another file).
	slices.SortFunc(w.broken, func(a, b brokenRef) int {
		return cmp.Or(cmp.Compare(a.origin.File, b.origin.File), cmp.Compare(a.origin.Line, b.origin.Line),
			cmp.Compare(a.origin.Column, b.origin.Column), strings.Compare(a.component, b.component))
	})
	for _, b := range w.broken {
		if b.component == "" || reported[b.component] {
			continue
		}
		if cycle := cycleFrom(b.component, comps); cycle != nil {
			for _, c := range cycle {
				reported[c] = true
			}
			errs = append(errs, fmt.Errorf("%s: $ref %q cannot be resolved: %s", b.origin, b.ref, describeCycle(cycle)))
		}
	}
	for _, b := range w.broken {
		if !explained(b) && !reported[b.component] {
			reported[b.component] = b.component != ""
			errs = append(errs, fmt.Errorf("%s: $ref %q cannot be resolved: it leads into a cycle of $refs with no definition in it; write the definition in place of one of them", b.origin, b.ref))
		}
	}
	return errors.Join(errs...)
}

// cycleFrom returns the components from start back to start ("schemas/A",
// "schemas/B"), or nil when start's chain of references does not return to
// start.
func cycleFrom(start string, comps map[string]brokenRef) []string {
	cycle := []string{start}
	for name, ok := localComponent(comps[start].ref); ok; name, ok = localComponent(comps[name].ref) {
		if name == start {
			return cycle
		}
		if slices.Contains(cycle, name) {
			return nil // a cycle that start only leads into
		}
		cycle = append(cycle, name)
	}
	return nil
}

// describeCycle says what is wrong with a cycle of components, and what to do.
func describeCycle(cycle []string) string {
	kind, _, _ := strings.Cut(cycle[0], "/")
	names := make([]string, len(cycle))
	for i, c := range cycle {
		_, names[i], _ = strings.Cut(c, "/")
	}
	chain := strings.Join(append(slices.Clone(names), names[0]), " -> ")
	noun, ok := componentNoun[kind]
	if !ok {
		noun = [2]string{kind, kind}
	}
	if len(cycle) == 1 {
		return fmt.Sprintf("%s %s is only a $ref to itself (%s), so it is never defined; write its definition in place of the $ref", noun[0], names[0], chain)
	}
	list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	return fmt.Sprintf("the %s %s are only $refs to each other (%s), so none of them is defined; write the definition in place of one of the $refs",
		noun[1], list, chain)
}

// componentNoun names each section of components in prose, singular and
// plural.
var componentNoun = map[string][2]string{
	"schemas": {"schema", "schemas"}, "parameters": {"parameter", "parameters"}, "headers": {"header", "headers"},
	"requestBodies": {"request body", "request bodies"}, "responses": {"response", "responses"},
	"securitySchemes": {"security scheme", "security schemes"}, "examples": {"example", "examples"},
	"links": {"link", "links"}, "callbacks": {"callback", "callbacks"},
}

// localComponent is "schemas/A" for the $ref "#/components/schemas/A".
func localComponent(ref string) (string, bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok || strings.Count(rest, "/") != 1 {
		return "", false
	}
	// JSON pointer escapes, as in "#/components/schemas/a~1b".
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(rest), true
}

// components lists the document's components that are a $ref kin-openapi
// left without a value, keyed "schemas/A". It reads every section of
// openapi3.Components by its JSON name, so a section kin-openapi adds is
// covered without a change here.
func components(doc *openapi3.T, w *refWalker) map[string]brokenRef {
	out := map[string]brokenRef{}
	if doc.Components == nil {
		return out
	}
	v := reflect.ValueOf(doc.Components).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		section, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if v.Field(i).Kind() != reflect.Map || section == "" || section == "-" {
			continue
		}
		for it := v.Field(i).MapRange(); it.Next(); {
			e := it.Value()
			if e.Kind() != reflect.Pointer || e.IsNil() || e.Elem().Kind() != reflect.Struct {
				continue
			}
			if b, ok := w.brokenRef(e.Elem(), w.info(e.Elem().Type())); ok {
				b.component = section + "/" + it.Key().String()
				out[b.component] = b
			}
		}
	}
	return out
}
