package augment

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
)

// FuzzSpec: on any input Spec either fails with an error or returns a
// document that parses, only adds lines, and is a fixed point. Every
// POST, PUT and PATCH found under paths is marked.
//
//	go test ./generator/augment -run '^$' -fuzz FuzzSpec -fuzztime 60s
func FuzzSpec(f *testing.F) {
	for _, s := range []string{yamlWithComments, prettyJSON,
		"openapi: 3.0.0\npaths:\n  /a:\n    post:\n      parameters:\n      responses: {}\n",
		"openapi: 3.1.0\npaths: {/a: {patch: {responses: {'200': {$ref: '#/components/responses/R'}}}}}\ncomponents: {responses: {R: {description: r}}}\n",
		"openapi: 3.0.0\ncomponents:\n  schemas: {}   # c\npaths:\n  /a:\n    put:\n      responses:\n        default:\n          description: |+\n            x\n\n\n# end",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		m := fuzzModel(src)
		out, err := Spec([]byte(src), m)
		if err != nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("output does not parse: %v\n--- input\n%s\n--- output\n%s", err, src, out)
		}
		// Fuzzed layouts defeat the line-level check that realistic
		// documents get (onlyAdds); the character-level one is exact: new
		// text is only ever inserted, except the brackets of an empty
		// flow collection that becomes a block one.
		in := strings.NewReplacer(": {}", ":", ": []", ":").Replace(src)
		if !subsequence(in, string(out)) {
			t.Fatalf("the output does not contain the input\n--- input\n%s\n--- output\n%s", src, out)
		}
		again, err := Spec(out, m)
		if err != nil || string(again) != string(out) {
			t.Fatalf("not a fixed point (err %v)\n--- input\n%s\n--- output\n%s\n--- again\n%s", err, src, out, again)
		}
	})
}

func fuzzModel(src string) model.Model {
	m := model.Model{Source: "fuzz", Format: "yaml"}
	if strings.HasPrefix(strings.TrimSpace(src), "{") {
		m.Format = "json"
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte(src), &doc) != nil || len(doc.Content) == 0 {
		return m
	}
	paths := value(doc.Content[0], "paths")
	if paths == nil || paths.Kind != yaml.MappingNode {
		return m
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		for _, meth := range []string{"post", "put", "patch"} {
			if value(paths.Content[i+1], meth) != nil {
				m.Operations = append(m.Operations, model.Operation{Method: strings.ToUpper(meth), Path: paths.Content[i].Value, Policy: model.DefaultPolicy})
			}
		}
	}
	return m
}

// subsequence reports that every byte of a appears in b, in order.
func subsequence(a, b string) bool {
	i := 0
	for j := 0; j < len(b) && i < len(a); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}
