package augment

import (
	"strings"

	"go.yaml.in/yaml/v4"
)

// lookup returns the key and value nodes of k in mapping n.
func lookup(n *yaml.Node, k string) (key, val *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i], n.Content[i+1]
		}
	}
	return nil, nil
}

func value(n *yaml.Node, k string) *yaml.Node {
	_, v := lookup(n, k)
	return v
}

// scalar returns the value of a scalar child, or "".
func scalar(n *yaml.Node, k string) string {
	if v := value(n, k); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// localRef returns the name of the entry of a section of reusable objects
// (see refPrefix) that a $ref inside this document points at.
func localRef(n *yaml.Node, prefix string) (string, bool) {
	r := scalar(n, "$ref")
	if !strings.HasPrefix(r, prefix) {
		return "", false
	}
	name := r[len(prefix):]
	if strings.Contains(name, "/") {
		return "", false
	}
	return strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~"), true
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func isFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// walkRefs calls f for every $ref string in the tree.
func walkRefs(n *yaml.Node, f func(string)) {
	if n == nil {
		return
	}
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "$ref" && n.Content[i+1].Kind == yaml.ScalarNode {
				f(n.Content[i+1].Value)
			}
		}
	}
	for _, c := range n.Content {
		walkRefs(c, f)
	}
}
