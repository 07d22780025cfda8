package augment

import (
	"context"
	"testing"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
)

// TestCorpus augments every corpus document that loads, with every POST
// and PATCH marked, Swagger 2.0 documents included, and checks that the
// output still loads (and validates where the input did; a Swagger 2.0
// document is read through openapi2conv, as idemgen reads it), only adds
// lines, and is a fixed point.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus: skipped in -short mode")
	}
	ctx := context.Background()
	opts := load.Options{MarkMethods: []string{"POST", "PATCH"}}
	var loaded, valid, swagger, validSwagger, ops, commas, grown int
	for _, entry := range testcases.Corpus(t) {
		name, path := entry.Name, entry.Spec
		r, err := load.Load(ctx, path, opts)
		if err != nil {
			t.Logf("%s: does not load (%v); skipped", name, testcases.FirstLine(err.Error()))
			continue
		}
		loaded++
		if r.Swagger2 {
			swagger++
		}
		out, err := Spec(r.Root, r.Model)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ops += len(r.Model.Operations)
		c, g, err := onlyAdds(string(r.Root), string(out))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		commas += c
		grown += g
		doc, err := r.Fresh(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inputValid := doc.Validate(ctx) == nil
		if inputValid {
			valid++
			if r.Swagger2 {
				validSwagger++
			}
		}
		r2, err := load.LoadBytes(ctx, path, out, opts)
		if err != nil {
			t.Errorf("%s: the augmented document does not load: %v", name, testcases.FirstLine(err.Error()))
			continue
		}
		doc2, err := r2.Fresh(ctx)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := doc2.Validate(ctx); inputValid && err != nil {
			t.Errorf("%s: the input validates, the output does not: %v", name, err)
		}
		// The realistic rerun: idemgen on its own output, with the model
		// read from that output (every key header now declared).
		again, err := Spec(out, r2.Model)
		if err != nil || string(again) != string(out) {
			t.Errorf("%s: a second run changes the output (err %v)", name, err)
		}
	}
	t.Logf("corpus: %d documents load (%d of them Swagger 2.0) and are augmented, %d of them validate (%d Swagger 2.0) and so do their outputs; %d POST/PATCH operations augmented; %d lines gained a comma, %d flow lines grew",
		loaded, swagger, valid, validSwagger, ops, commas, grown)
}
