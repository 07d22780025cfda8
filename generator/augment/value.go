package augment

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// omap is an ordered mapping: the additions are written in the order they
// were planned, so the output is deterministic and reads naturally.
type omap struct {
	keys []string
	vals []any
}

func newMap(kv ...any) *omap {
	m := &omap{}
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

// sameValue reports whether a and b hold the same JSON data.
func sameValue(a, b any) bool {
	ja, err1 := json.Marshal(plain(a))
	jb, err2 := json.Marshal(plain(b))
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
