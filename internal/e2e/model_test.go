package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
)

// spec is a loaded specification: idemgen's model and fresh documents.
type spec struct {
	res *load.Result
}

func loadSpec(t testing.TB, path string, opts load.Options) *spec {
	t.Helper()
	res, err := load.Load(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return &spec{res: res}
}

// fresh returns a document no one else holds.
func (s *spec) fresh(t testing.TB) *openapi3.T {
	t.Helper()
	doc, err := s.res.Fresh(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// idemgen renders idempotency.gen.go for package pkg.
func (s *spec) idemgen(t testing.TB, pkg string, cfg gocode.Config) []byte {
	t.Helper()
	m, _, err := gocode.Resolve(s.fresh(t), cfg, s.res.Model)
	if err != nil {
		t.Fatal(err)
	}
	src, err := gocode.Render(m, gocode.Options{Package: pkg, Source: filepath.Base(s.res.Model.Source)})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
