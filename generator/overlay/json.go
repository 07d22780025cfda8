package overlay

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// writeJSON encodes a YAML node tree as JSON, keeping key order, each
// level indented by unit.
func writeJSON(b *bytes.Buffer, n *yaml.Node, indent, unit string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	inner := indent + unit
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			writeJSON(b, n.Content[0], indent, unit)
		}
	case yaml.MappingNode:
		if len(n.Content) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(inner)
			writeString(b, n.Content[i].Value)
			b.WriteString(": ")
			writeJSON(b, n.Content[i+1], inner, unit)
		}
		b.WriteString("\n" + indent + "}")
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, c := range n.Content {
			if i > 0 {
				b.WriteString(",\n")
			}
			b.WriteString(inner)
			writeJSON(b, c, inner, unit)
		}
		b.WriteString("\n" + indent + "]")
	default:
		writeScalar(b, n)
	}
}

func writeScalar(b *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		b.WriteString("null")
		return
	case "!!bool":
		var v bool
		if n.Decode(&v) == nil {
			b.WriteString(strconv.FormatBool(v))
			return
		}
	case "!!int":
		var v int64
		if n.Decode(&v) == nil {
			b.WriteString(strconv.FormatInt(v, 10))
			return
		}
	case "!!float":
		if json.Valid([]byte(n.Value)) {
			b.WriteString(n.Value) // keep the author's spelling, e.g. 1.50
			return
		}
		var v float64
		if n.Decode(&v) == nil && !math.IsInf(v, 0) && !math.IsNaN(v) {
			b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			return
		}
	}
	writeString(b, n.Value)
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's line break
}

// jsonUnit is the indentation of a pretty-printed JSON document's second
// line (its first key), or two spaces.
func jsonUnit(src []byte) string {
	i := bytes.IndexByte(src, '\n')
	if i < 0 {
		return "  "
	}
	line := src[i+1:]
	n := 0
	for n < len(line) && (line[n] == ' ' || line[n] == '\t') {
		n++
	}
	if n == 0 {
		return "  "
	}
	return string(line[:n])
}
