package generator

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkPipeline times render, every output of a run without the
// writes, on Stripe's spec with every POST marked and on a small one.
//
// It once timed the augmented spec rendered on a second goroutine while
// Resolve and gocode.Render ran, against the same steps in turn (-count 6
// -cpu 1,2, benchstat -col): no significant difference at either core count
// (Stripe at two cores 2.16 s against 2.64 s, p=0.24; the small spec
// 31.5 ms against 30.6 ms, p=0.82), since the work it could overlap is
// about 0.16 s of a 2 s run (load 0.93 s, augment 0.91 s, Resolve 0.13 s,
// gocode.Render 0.03 s). So render runs its steps in turn.
//
//	go test -run '^$' -bench Pipeline -count 6 -cpu 1,2 ./generator
func BenchmarkPipeline(b *testing.B) {
	small := func(*testing.B) string {
		return filepath.Join("..", "testdata", "specs", "path_params", "openapi.yaml")
	}
	for _, s := range []struct {
		name  string
		spec  func(*testing.B) string
		marks []string
	}{{"stripe", benchSpec, []string{"POST"}}, {"small", small, nil}} {
		b.Run("spec="+s.name, func(b *testing.B) {
			spec := s.spec(b)
			dir := b.TempDir()
			opts := Options{
				Spec: spec, Package: "api", MarkMethods: s.marks,
				GoOut: filepath.Join(dir, DefaultGoOut), SpecOut: filepath.Join(dir, DefaultSpecOut(spec, "yaml")),
				DocsOut: filepath.Join(dir, DefaultDocsOut),
			}
			for b.Loop() {
				outs, err := render(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				for _, o := range outs {
					if o.err != nil {
						b.Fatalf("%s: %v", o.kind, o.err)
					}
				}
			}
		})
	}
}
