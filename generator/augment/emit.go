package augment

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// style says how new text is written where it is spliced in.
type style struct {
	json     bool   // JSON syntax (the document is JSON, or the spot is a YAML flow collection)
	yamlFlow bool   // in YAML flow style: scalars plain or single-quoted, as in block style
	compact  bool   // JSON on one line
	unit     string // one level of indentation
	nl       string // the document's line ending
}

// jsonValue writes v as JSON; nested levels start at indent+unit.
func (s style) jsonValue(b *bytes.Buffer, v any, indent string) {
	sep, colon := ","+s.nl, ": "
	if s.compact {
		sep, colon = ", ", ": "
	}
	switch v := v.(type) {
	case *omap:
		if v.len() == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteByte('{')
		inner := indent + s.unit
		for i, k := range v.keys {
			if i > 0 {
				b.WriteString(sep)
			} else if !s.compact {
				b.WriteString(s.nl)
			}
			if !s.compact {
				b.WriteString(inner)
			}
			b.WriteString(s.str(k))
			b.WriteString(colon)
			s.jsonValue(b, v.vals[i], inner)
		}
		if !s.compact {
			b.WriteString(s.nl + indent)
		}
		b.WriteByte('}')
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteByte('[')
		inner := indent + s.unit
		for i, x := range v {
			if i > 0 {
				b.WriteString(sep)
			} else if !s.compact {
				b.WriteString(s.nl)
			}
			if !s.compact {
				b.WriteString(inner)
			}
			s.jsonValue(b, x, inner)
		}
		if !s.compact {
			b.WriteString(s.nl + indent)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(s.str(v))
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	}
}

func (s style) str(v string) string {
	if s.yamlFlow {
		return yamlScalar(v)
	}
	return jsonString(v)
}

func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}

// yamlEntry writes `key: value` in block style at indent, ending in a
// line break.
func (s style) yamlEntry(b *bytes.Buffer, k string, v any, indent string) {
	b.WriteString(indent)
	b.WriteString(yamlScalar(k))
	b.WriteByte(':')
	s.yamlAfterKey(b, v, indent)
}

// yamlAfterKey writes the value of a key whose "key:" is already written.
func (s style) yamlAfterKey(b *bytes.Buffer, v any, indent string) {
	switch v := v.(type) {
	case *omap:
		if v.len() == 0 {
			b.WriteString(" {}" + s.nl)
			return
		}
		b.WriteString(s.nl)
		for i, k := range v.keys {
			s.yamlEntry(b, k, v.vals[i], indent+s.unit)
		}
	case []any:
		if len(v) == 0 {
			b.WriteString(" []" + s.nl)
			return
		}
		b.WriteString(s.nl)
		for _, x := range v {
			s.yamlItem(b, x, indent+s.unit)
		}
	default:
		b.WriteByte(' ')
		b.WriteString(yamlAtom(v))
		b.WriteString(s.nl)
	}
}

// yamlItem writes one block sequence item whose dash stands at indent.
func (s style) yamlItem(b *bytes.Buffer, v any, indent string) {
	b.WriteString(indent + "- ")
	m, ok := v.(*omap)
	if !ok || m.len() == 0 {
		if ok {
			b.WriteString("{}" + s.nl)
			return
		}
		if l, isList := v.([]any); isList {
			// A nested list goes in flow style; we never emit one today.
			c := s
			c.compact = true
			var tmp bytes.Buffer
			c.jsonValue(&tmp, l, "")
			b.Write(tmp.Bytes())
			b.WriteString(s.nl)
			return
		}
		b.WriteString(yamlAtom(v) + s.nl)
		return
	}
	inner := indent + "  "
	for i, k := range m.keys {
		if i == 0 {
			b.WriteString(yamlScalar(k))
			b.WriteByte(':')
			s.yamlAfterKey(b, m.vals[i], inner)
			continue
		}
		s.yamlEntry(b, k, m.vals[i], inner)
	}
}

func yamlAtom(v any) string {
	switch v := v.(type) {
	case string:
		return yamlScalar(v)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	}
	return "null"
}

// yamlScalar writes s plain where that is unambiguous, else single-quoted.
// The plain set is deliberately narrow: a string that YAML could read as
// another type, or that holds an indicator, gets quotes.
func yamlScalar(s string) string {
	if plainSafe(s) {
		return s
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return jsonString(s) // double quotes can escape control characters
		}
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func plainSafe(s string) bool {
	if s == "" || s[len(s)-1] == ' ' {
		return false
	}
	switch strings.ToLower(s) {
	case "true", "false", "null", "yes", "no", "on", "off", "y", "n", "~":
		return false
	}
	c := s[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '$' || c == '_' || c == '/') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("$_./+- ", c) >= 0:
		default:
			return false
		}
	}
	return true
}
