package augment

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
)

// BenchmarkSpecStripe augments the largest corpus document (4.2 MB, every
// POST marked). Run: go test ./generator/augment -run '^$' -bench Stripe -benchtime 3x
func BenchmarkSpecStripe(b *testing.B) {
	r, err := load.Load(context.Background(), filepath.Join(testcases.CorpusDir(b), "stripe-spec3-2023-09.yaml"), load.Options{MarkMethods: []string{"POST", "PATCH"}})
	if err != nil {
		b.Skipf("corpus: %v", err)
	}
	b.SetBytes(int64(len(r.Root)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Spec(r.Root, r.Model); err != nil {
			b.Fatal(err)
		}
	}
}
