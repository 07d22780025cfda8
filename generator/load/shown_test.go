package load

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

const marks = `overlay: 1.0.0
info: {title: marks, version: "1"}
actions:
  - target: $.paths['/a'].post
    update:
      operationId: make
      x-idempotent:
        required: true
        tll: 48h
`

// TestOverlayMistakesPlaced: with an overlay applied, what an action wrote
// is reported at the overlay's line and the rest at the document's own,
// though the document read is the overlay's re-encoded output.
func TestOverlayMistakesPlaced(t *testing.T) {
	docs := map[string]string{
		"spec.yaml": head + `  # The overlay's output moves every line below.
  /a:
    post: {responses: {"200": {description: ok}}}
  /b:
    put:
      operationId: make
      x-idempotent: {wait: soon}
      responses: {"200": {description: ok}}
`,
		"spec.json": `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {
  "/a": {"post": {"responses": {"200": {"description": "ok"}}}},
  "/b": {"put": {"operationId": "make", "x-idempotent": {"wait": "soon"}, "responses": {"200": {"description": "ok"}}}}}}
`,
	}
	// Sorted by file name, the spec's (an absolute path) first.
	wants := map[string][]string{
		"spec.yaml": {
			"spec.yaml:9:7: duplicate operationId \"make\": PUT /b here and POST /a at marks.yaml:6:7",
			"spec.yaml:10:28: x-idempotent.wait: must be a Go duration string",
			"marks.yaml:6:7: duplicate operationId \"make\": POST /a here and PUT /b at spec.yaml:9:7",
			"marks.yaml:9:9: x-idempotent.tll: unknown field (did you mean ttl?)",
		},
		"spec.json": {
			"spec.json:3:18: duplicate operationId \"make\": PUT /b here and POST /a at marks.yaml:6:7",
			"spec.json:3:66: x-idempotent.wait: must be a Go duration string",
			"marks.yaml:6:7: duplicate operationId \"make\": POST /a here and PUT /b at spec.json:3:18",
			"marks.yaml:9:9: x-idempotent.tll: unknown field (did you mean ttl?)",
		},
	}
	for name, doc := range docs {
		p := write(t, name, doc)
		got := loadErr(t, p, Options{Overlay: []byte(marks), OverlayName: "marks.yaml"})
		lines := strings.Split(got, "\n")
		if len(lines) != len(wants[name]) {
			t.Errorf("%s: %d errors, want %d:\n%s", name, len(lines), len(wants[name]), got)
			continue
		}
		for i, want := range wants[name] {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("%s: error %d is\n%s\nwant one starting\n%s", name, i, lines[i], want)
			}
		}
	}
}

// TestOverlayOriginsPlaced: a marked operation's origin, and a warning's,
// name the overlay's line when the overlay marked it.
func TestOverlayOriginsPlaced(t *testing.T) {
	p := write(t, "spec.yaml", head+`  /a:
    post: {responses: {"200": {description: ok}}}
  /b:
    get: {operationId: look, responses: {"200": {description: ok}}}
    head: {operationId: look, responses: {"200": {description: ok}}}
`)
	ov := strings.Replace(marks, "        tll: 48h\n", "", 1)
	r, err := Load(context.Background(), p, Options{Overlay: []byte(ov), OverlayName: "marks.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Model.Operations) != 1 || r.Model.Operations[0].Origin.String() != "marks.yaml:7:7" {
		t.Errorf("operations = %+v, want POST /a at marks.yaml:7:7", r.Model.Operations)
	}
	want := "spec.yaml:8:12: duplicate operationId \"look\": HEAD /b here and GET /b at spec.yaml:7:11"
	if len(r.Warnings) != 1 || strings.ReplaceAll(r.Warnings[0], filepath.Dir(p)+string(filepath.Separator), "") != want {
		t.Errorf("warnings = %q, want %q", r.Warnings, want)
	}
}
