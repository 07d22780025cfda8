package overlay

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// entryIn returns the key and value at the end of path in doc.
func entryIn(t *testing.T, doc []byte, path string) (key, value *yaml.Node) {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		t.Fatal(err)
	}
	value = n.Content[0]
	for _, p := range strings.Split(path, ".") {
		if key, value = lookup(value, p); value == nil {
			t.Fatalf("no %s in\n%s", path, doc)
		}
	}
	return key, value
}

const marksOverlay = `overlay: 1.0.0
info: {title: t, version: "1"}
actions:
  - target: $.paths['/a'].post
    update:
      x-idempotent:
        ttl: 0s
  - target: $.paths['/b'].post
    update:
      x-idempotent:
        tll: 48h
        scopeHeaders: [Authorization]
`

// TestSourcePositions: each node of the applied document is traced to
// where its author wrote it, in the overlay for what an action wrote and in
// the document for the rest, though re-encoding moved both.
func TestSourcePositions(t *testing.T) {
	docs := map[string]string{
		"yaml": `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /a:
    post: {operationId: makeA, x-idempotent: {ttl: 24h, required: true}, responses: {'200': {description: ok}}}
  /b:
    post:
      operationId: makeB
      responses: {'200': {description: ok}}
`,
		"json": `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {
  "/a": {"post": {"operationId": "makeA", "x-idempotent": {"ttl": "24h", "required": true}, "responses": {"200": {"description": "ok"}}}},
  "/b": {"post": {"operationId": "makeB", "responses": {"200": {"description": "ok"}}}}}}
`,
	}
	in := func(line, col int) Position { return Position{Line: line, Column: col} }
	ov := func(line, col int) Position { return Position{Overlay: true, Line: line, Column: col} }
	cases := []struct {
		path       string
		value      bool // the value's position rather than the key's
		yaml, json Position
	}{
		// Replaced in place: the value, and so its key, are the overlay's.
		{"paths./a.post.x-idempotent.ttl", false, ov(7, 9), ov(7, 9)},
		{"paths./a.post.x-idempotent.ttl", true, ov(7, 14), ov(7, 14)},
		// Merged into: the rest of the mapping stays the document's.
		{"paths./a.post.x-idempotent.required", false, in(5, 57), in(2, 74)},
		{"paths./a.post.x-idempotent", false, in(5, 32), in(2, 43)},
		// Added: key and cloned value alike.
		{"paths./b.post.x-idempotent", false, ov(10, 7), ov(10, 7)},
		{"paths./b.post.x-idempotent.tll", false, ov(11, 9), ov(11, 9)},
		{"paths./b.post.x-idempotent.tll", true, ov(11, 14), ov(11, 14)},
		{"paths./b.post.x-idempotent.scopeHeaders", true, ov(12, 23), ov(12, 23)},
		{"paths./b.post.operationId", false, in(8, 7), in(3, 19)},
	}
	for format, doc := range docs {
		a, err := ApplyMapped([]byte(doc), []byte(marksOverlay), "marks.yaml", format)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cases {
			want := c.yaml
			if format == "json" {
				want = c.json
			}
			n, v := entryIn(t, a.Doc, c.path)
			if c.value {
				n = v
			}
			if got, ok := a.Source(n.Line, n.Column); !ok || got != want {
				t.Errorf("%s: %s (value %t) at %d:%d comes from %+v, want %+v", format, c.path, c.value, n.Line, n.Column, got, want)
			}
		}
	}
}

// TestSourceBetweenNodes: a position no node starts at takes the nearest
// node's before it, and a line alone its first node's.
func TestSourceBetweenNodes(t *testing.T) {
	a, err := ApplyMapped([]byte(spec), []byte(mark), "mark.yaml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	k, _ := entryIn(t, a.Doc, "paths./payments/{id}/refunds.post.x-idempotent.ttl")
	if got, _ := a.Source(k.Line, 0); got != (Position{Overlay: true, Line: 10, Column: 0}) {
		t.Errorf("line %d alone comes from %+v, want mark.yaml line 10", k.Line, got)
	}
	if got, _ := a.Source(k.Line, k.Column+2); got != (Position{Overlay: true, Line: 10, Column: 9}) {
		t.Errorf("inside the key at line %d comes from %+v, want mark.yaml:10:9", k.Line, got)
	}
	if _, ok := a.Source(0, 0); ok {
		t.Error("a position before every node has a source")
	}
}
