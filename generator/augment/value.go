package augment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// omap is an ordered mapping: the additions are written in the order they
// were planned, so the output is deterministic and reads naturally.
type omap struct {
	keys []string
	vals []any
}

func newMap(kv ...any) *omap {
	m := &omap{keys: make([]string, 0, len(kv)/2), vals: make([]any, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		m.set(kv[i].(string), kv[i+1])
	}
	return m
}

func (m *omap) set(k string, v any) {
	for i, key := range m.keys {
		if key == k {
			m.vals[i] = v
			return
		}
	}
	m.keys = append(m.keys, k)
	m.vals = append(m.vals, v)
}

func (m *omap) get(k string) (any, bool) {
	for i, key := range m.keys {
		if key == k {
			return m.vals[i], true
		}
	}
	return nil, false
}

// child returns the pending mapping under k, creating it.
func (m *omap) child(k string) *omap {
	if v, ok := m.get(k); ok {
		if c, ok := v.(*omap); ok {
			return c
		}
	}
	c := &omap{}
	m.set(k, c)
	return c
}

func (m *omap) len() int { return len(m.keys) }

// plain converts a value into maps and slices that encoding/json sorts,
// for comparing our contract with what a document already holds.
func plain(v any) any {
	switch v := v.(type) {
	case *omap:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			out[k] = plain(v.vals[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = plain(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = plain(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = plain(x)
		}
		return out
	}
	return v
}

// sameValue reports whether a and b hold the same JSON data: whether
// encoding/json writes plain(a) and plain(b) alike. It compares in place
// and stops at the first difference: the planner compares every problem
// response with each shared response that a marked operation references,
// and marshalling both sides each time was most of a large document's
// run. What it cannot decide in place (a number against a number, maybe of
// another type; a string that is not UTF-8; a type the decoders do not
// produce) it leaves to encoding/json, one value at a time.
func sameValue(a, b any) bool {
	switch a := a.(type) {
	case *omap, map[string]any:
		ma, mb := asObject(a), asObject(b)
		if mb == nil {
			return sameJSON(a, b)
		}
		return sameObject(ma, mb, a, b)
	case []any:
		bl, ok := b.([]any)
		if !ok {
			return sameJSON(a, b)
		}
		if len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !sameValue(a[i], bl[i]) {
				return false
			}
		}
		return true
	case string:
		if bs, ok := b.(string); ok && utf8.ValidString(a) && utf8.ValidString(bs) {
			return a == bs
		}
	case bool:
		if bb, ok := b.(bool); ok {
			return a == bb
		}
	case nil:
		if b == nil {
			return true
		}
	}
	return sameJSON(a, b)
}

// object is a mapping with string keys, ours or a decoder's.
type object interface {
	size() int
	lookup(k string) (any, bool)
	each(f func(k string, v any) bool) bool // false once f is
}

type decoded map[string]any

func (m decoded) size() int                   { return len(m) }
func (m decoded) lookup(k string) (any, bool) { v, ok := m[k]; return v, ok }
func (m *omap) size() int                     { return m.len() }
func (m *omap) lookup(k string) (any, bool)   { return m.get(k) }
func (m decoded) each(f func(string, any) bool) bool {
	for k, v := range m {
		if !f(k, v) {
			return false
		}
	}
	return true
}
func (m *omap) each(f func(string, any) bool) bool {
	for i, k := range m.keys {
		if !f(k, m.vals[i]) {
			return false
		}
	}
	return true
}

func asObject(v any) object {
	switch v := v.(type) {
	case *omap:
		return v
	case map[string]any:
		return decoded(v)
	}
	return nil
}

// sameObject compares two mappings, a and b as given: keys that are valid
// UTF-8 are written as themselves, so equal key sets holding equal values
// are equal JSON objects.
func sameObject(ma, mb object, a, b any) bool {
	if ma.size() != mb.size() {
		return false
	}
	valid := func(m object) bool {
		return m.each(func(k string, _ any) bool { return utf8.ValidString(k) })
	}
	same := ma.each(func(k string, v any) bool {
		w, ok := mb.lookup(k)
		return ok && sameValue(v, w)
	})
	if !valid(ma) || !same && !valid(mb) {
		// encoding/json writes such a key with U+FFFD in it.
		return sameJSON(a, b)
	}
	return same
}

// sameJSON compares what encoding/json writes for plain(a) and plain(b).
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(plain(a))
	jb, err2 := json.Marshal(plain(b))
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
