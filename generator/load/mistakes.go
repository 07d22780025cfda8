package load

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"

	"github.com/idemgen/idemgen/internal/contract"

	"github.com/idemgen/idemgen/internal/editdist"
)

// This file finds the mistakes that would otherwise pass without a word:
// the marker misspelt or put on a path item, an operation written as a
// $ref, and a -mark method no operation can have. kin-openapi keeps every
// key of an Operation or Path Item object it does not know in Extensions,
// x- or not, which is what these checks read.

// nearMarker reports whether key, with value, is most likely meant as
// x-idempotent. Spellings are compared normalised (lower case, without
// '-', '_', '.' and spaces): one equal to "xidempotent" but written
// otherwise (X-Idempotent, x_idempotent), or at most two edits from it
// (x-idempotant, x-idempotency, idempotent), is a near miss whatever its
// value. A longer name that starts with "xidempot" or "idempot"
// (x-idempotent-key, x-idempotency-enabled) is one only when its value is
// what x-idempotent takes, a boolean or an object: another tool's setting,
// such as `x-idempotency-header: Idempotency-Key`, is left alone.
func nearMarker(key string, value any) bool {
	if key == Extension {
		return false
	}
	n := normalise(key)
	const want = "xidempotent"
	if editdist.Distance(n, want) <= 2 {
		return true
	}
	if strings.HasPrefix(n, "xidempot") || strings.HasPrefix(n, "idempot") {
		switch value.(type) {
		case bool, map[string]any:
			return true
		}
	}
	return false
}

func normalise(key string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(key))
}

// checkOperation reports an operation written as a $ref and keys that
// misspell the marker. It returns false for the former, which has nothing
// to read or mark.
func (b *builder) checkOperation(path, method string, op *openapi3.Operation) bool {
	route := method + " " + path
	keys := b.keysOf(op.Extensions, "paths", path, strings.ToLower(method))
	for _, k := range sortedKeys(keys) {
		switch v := keys[k]; {
		case k == "$ref":
			b.c.add(b.fieldOrigin(path, method, op, k), fmt.Sprintf("$ref %s: an Operation object cannot be a $ref: OpenAPI has none for operations, and kin-openapi, "+
				"which oapi-codegen and idemgen read with, ignores it, so the operationId and any x-idempotent of the operation it names would be lost; "+
				"write %s in place, or $ref the whole path item", describeRef(v), route))
		case nearMarker(k, v):
			b.c.addMarker(b.fieldOrigin(path, method, op, k), fmt.Sprintf("%s: did you mean %s? idemgen reads the marker only in that spelling and would ignore this key on %s",
				k, Extension, route))
		}
	}
	_, isRef := keys["$ref"]
	return !isRef
}

// checkPathItem reports the marker, or a near miss, on a path item, where
// idemgen does not read it.
func (b *builder) checkPathItem(path string, item *openapi3.PathItem) {
	keys := b.keysOf(item.Extensions, "paths", path)
	for _, k := range sortedKeys(keys) {
		v := keys[k]
		var msg string
		switch {
		case k == Extension:
			msg = fmt.Sprintf("%s: idemgen reads the marker on operations only and would ignore it on the path item %s", k, path)
		case nearMarker(k, v):
			msg = fmt.Sprintf("%s: did you mean %s? idemgen reads the marker on operations only, in that spelling, and would ignore this key on the path item %s",
				k, Extension, path)
		default:
			continue
		}
		b.c.addMarker(b.itemOrigin(path, item, k), msg+"; move it into "+unsafeOperations(path, item))
	}
}

// unsafeOperations names where a marker on a path item belongs.
func unsafeOperations(path string, item *openapi3.PathItem) string {
	var names []string
	for m := range item.Operations() {
		if !contract.SafeMethod(m) {
			names = append(names, strings.ToLower(m))
		}
	}
	if len(names) == 0 {
		return "the operations it marks (" + path + " has no unsafe one)"
	}
	slices.Sort(names)
	return "each operation it marks (" + strings.Join(names, ", ") + ")"
}

// itemOrigin is where one of a path item's fields stands.
func (b *builder) itemOrigin(path string, item *openapi3.PathItem, field string) model.Origin {
	if item.Origin != nil {
		if l, ok := item.Origin.Fields.Lookup(field); ok && l.Line > 0 {
			return model.Origin{File: display(l.File), Line: l.Line, Column: l.Column}
		}
	}
	if k, _ := child(b.fs.tree(b.s.name), []any{"paths", path, field}); k != nil {
		return at(b.s.path, k)
	}
	if k, _ := child(b.fs.tree(b.s.name), []any{"paths", path}); k != nil {
		return at(b.s.path, k)
	}
	return originOf(b.s.path)
}

// unsafeMethods are the methods OpenAPI names a Path Item field for that
// x-idempotent may mark. OpenAPI 3.2's additionalOperations may add any
// other; a document that declares one may have it marked too.
var unsafeMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// checkMarkMethods refuses a method given to MarkMethods that is neither
// an unsafe method OpenAPI names nor one of the document's own: such a
// method (a typo, POTS) would mark nothing, without a word.
func checkMarkMethods(mark, declared map[string]bool) error {
	var own []string
	for m := range declared {
		if !slices.Contains(unsafeMethods, m) && !contract.SafeMethod(m) {
			own = append(own, m)
		}
	}
	slices.Sort(own)
	known := append(slices.Clone(unsafeMethods), own...)
	var bad []string
	for m := range mark {
		if !slices.Contains(known, m) {
			bad = append(bad, m)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	slices.Sort(bad)
	var msgs []string
	for _, m := range bad {
		msg := fmt.Sprintf("cannot mark %s operations idempotent: %s is not a method OpenAPI names, and no operation of the document has it", m, m)
		if near := nearestOf(m, known); near != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", near)
		}
		msgs = append(msgs, msg+"; the methods that can be marked are "+strings.Join(known, ", "))
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// nearestOf returns the candidate at most two edits from s, the nearest
// first.
func nearestOf(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editdist.Distance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func describeRef(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return describe(v)
}

// keysOf returns an object's keys that kin-openapi does not know, ext.
// Swagger 2.0's converter keeps only those that start with "x-", so for
// Swagger 2.0 they are read from the root file, at path (an object in
// another file goes unchecked): a boolean or an object as itself, for
// nearMarker, anything else as its text.
func (b *builder) keysOf(ext map[string]any, path ...any) map[string]any {
	if !b.s.swagger {
		return ext
	}
	_, n := child(b.fs.tree(b.s.name), path)
	if n == nil || n.Kind != yaml.MappingNode {
		return ext
	}
	out := maps.Clone(ext)
	if out == nil {
		out = map[string]any{}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		if _, ok := out[k]; ok || swaggerFields[k] {
			continue
		}
		switch {
		case v.Kind == yaml.MappingNode:
			out[k] = map[string]any{}
		case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!bool":
			out[k] = v.Value == "true"
		default:
			out[k] = v.Value
		}
	}
	return out
}

// swaggerFields are the fields of Swagger 2.0's Operation and Path Item
// objects, which keysOf leaves out.
var swaggerFields = map[string]bool{
	"tags": true, "summary": true, "description": true, "externalDocs": true, "operationId": true,
	"consumes": true, "produces": true, "parameters": true, "responses": true, "schemes": true,
	"deprecated": true, "security": true,
	"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true,
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
