package markdown

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
)

// ownResponses finds, per operation route, the contract statuses for which
// the document declares a response of its own. generator/augment keeps
// such a response in the augmented spec instead of adding the contract's
// (and warns), so the spec a client is generated from describes the
// author's answer there, not the middleware's: the page must say so. A
// response that already documents idemgen's problems (the augmented spec
// fed back in) hides nothing.
func ownResponses(spec []byte, m model.Model) (map[string][]int, error) {
	if len(spec) == 0 {
		return nil, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("reading the document's own responses: %w", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	shared, prefix := value(value(root, "components"), "responses"), "#/components/responses/"
	if value(root, "swagger") != nil {
		shared, prefix = value(root, "responses"), "#/responses/"
	}
	own := map[string][]int{}
	// The path items by path, found once: a scan per operation grows with
	// the square of the document.
	items := map[string]*yaml.Node{}
	if paths := value(root, "paths"); paths != nil && paths.Kind == yaml.MappingNode {
		for i := len(paths.Content) - 2; i >= 0; i -= 2 { // backwards: the first of a repeated key wins, as in value
			items[paths.Content[i].Value] = paths.Content[i+1]
		}
	}
	for _, op := range m.Operations {
		responses := value(value(items[op.Path], strings.ToLower(op.Method)), "responses")
		for _, code := range contractStatuses {
			r := value(responses, strconv.Itoa(code))
			if r == nil {
				continue
			}
			if ref := scalar(r, "$ref"); strings.HasPrefix(ref, prefix) {
				if target := value(shared, unescapePointer(ref[len(prefix):])); target != nil {
					r = target
				}
			}
			if !documentsProblems(r) {
				own[op.Route()] = append(own[op.Route()], code)
			}
		}
	}
	return own, nil
}

// documentsProblems reports a response that shows one of idemgen's
// problem bodies, as the responses generator/augment adds do.
func documentsProblems(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	if n.Kind == yaml.ScalarNode && strings.HasPrefix(n.Value, contract.ProblemTypePrefix) {
		return true
	}
	for _, c := range n.Content {
		if documentsProblems(c) {
			return true
		}
	}
	return false
}

// value is the value of key in mapping n; nil if n is not a mapping or
// lacks it.
func value(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node, key string) string {
	if v := value(n, key); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return ""
}

// unescapePointer undoes a JSON pointer token's escapes (RFC 6901).
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}
