package gocode

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Filter drops what oapi-codegen's options drop, names the first option
// that drops each operation (oapi-codegen applies them in turn), and
// changes neither the document nor the model it is given.
func TestFilter(t *testing.T) {
	cfg, err := parseConfig([]byte("output-options:\n  exclude-tags: [things]\n  include-operation-ids: [createPayment, refund-payment, \"things.v2:create\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	m := markAll(doc, spec)
	before := len(m.Operations)
	got, warnings := Filter(doc, cfg, m)

	var kept []string
	for _, op := range got.Operations {
		kept = append(kept, op.Route())
	}
	// The alias is a $ref to /payments, whose operation it shares.
	if want := []string{"POST /alias-of-payments", "POST /payments", "POST /payments/{id}/refunds"}; !slices.Equal(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	if len(warnings) != before-len(kept) {
		t.Errorf("%d warnings for %d dropped operations: %q", len(warnings), before-len(kept), warnings)
	}
	for route, option := range map[string]string{
		"PUT /things/{n}": "exclude-tags",
		// Listed by include-operation-ids, but exclude-tags comes first.
		"POST /things.v2":          "exclude-tags",
		"POST /events/{at}/{name}": "include-operation-ids",
	} {
		want := route + " is excluded by " + option + " "
		if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning %q in %q", want, warnings)
		}
	}
	if len(m.Operations) != before || doc.Paths.Value("/things/{n}").Put == nil {
		t.Error("Filter changed the model or the document it was given")
	}
	again, warnings := Filter(doc, cfg, got)
	if len(again.Operations) != len(got.Operations) || warnings != nil {
		t.Errorf("filtering a filtered model dropped %d more, warned %q", len(got.Operations)-len(again.Operations), warnings)
	}

	// A path without an item, which a document built in code can hold, is
	// skipped rather than dereferenced.
	doc.Paths.Set("/ghost", nil)
	if got, _ := Filter(doc, cfg, m); len(got.Operations) != len(kept) {
		t.Errorf("with a nil path item, kept %d", len(got.Operations))
	}
}
