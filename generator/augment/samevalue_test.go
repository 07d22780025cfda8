package augment

import (
	"math"
	"testing"
)

// sameValue decides in place what comparing the JSON of both sides
// decided before; every pair here must get the answer sameJSON gives.
func TestSameValueAgreesWithJSON(t *testing.T) {
	problem := newMap("description", "x", "content", newMap("application/json", newMap("schema", newMap("$ref", "#/a"))))
	values := []any{
		nil, true, false, "", "a", "\xff", "\xfe", "\ufffd", 1, int64(1), 1.0, uint64(1), 1.5, math.NaN(), 9007199254740993, float64(9007199254740993),
		[]any{}, []any{1}, []any{1.0}, []any{"a", nil},
		newMap(), map[string]any{}, newMap("a", 1), map[string]any{"a": 1.0}, map[string]any{"a": "1"},
		map[any]any{"a": 1}, map[any]any{1: "a"}, map[string]any{"1": "a"},
		map[string]any{"\xff": 1}, map[string]any{"\xfe": 1}, map[string]any{"\ufffd": 1}, newMap("\xff", 1), newMap("\xfe", 1),
		problem,
		map[string]any{"description": "x", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/a"}}}},
		map[string]any{"description": "x", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/b"}}}},
		map[string]any{"description": "x", "content": nil},
	}
	for i, a := range values {
		for j, b := range values {
			if got, want := sameValue(a, b), sameJSON(a, b); got != want {
				t.Errorf("sameValue(values[%d], values[%d]) = %v, JSON says %v (%#v, %#v)", i, j, got, want, a, b)
			}
		}
	}
}
