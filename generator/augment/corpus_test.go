package augment

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"
)

// corpusDir is the shared corpus, relative to this package.
const corpusDir = "../../../shared/corpus/specs"

// corpusRoots lists each corpus document's root file.
func corpusRoots(t *testing.T) []string {
	entries, err := os.ReadDir(corpusDir)
	if err != nil {
		t.Skipf("corpus absent (%v)", err)
	}
	var roots []string
	for _, e := range entries {
		p := filepath.Join(corpusDir, e.Name())
		if e.IsDir() {
			root, err := os.ReadFile(filepath.Join(p, "ROOT"))
			if err != nil {
				t.Fatalf("%s: no ROOT file", p)
			}
			p = filepath.Join(p, strings.TrimSpace(string(root)))
		}
		roots = append(roots, p)
	}
	return roots
}

func kinLoad(path string) (*openapi3.T, error) {
	l := openapi3.NewLoader()
	l.IsExternalRefsAllowed = true
	return l.LoadFromFile(path)
}

// markedModel marks every POST and PATCH, as `idemgen` run over the corpus
// with MarkMethods POST,PATCH does.
func markedModel(doc *openapi3.T, path string) model.Model {
	m := model.Model{Source: filepath.Base(path), Format: "yaml"}
	if strings.HasSuffix(path, ".json") {
		m.Format = "json"
	}
	if doc.Paths == nil {
		return m
	}
	for p, item := range doc.Paths.Map() {
		for method, o := range item.Operations() {
			if method != "POST" && method != "PATCH" {
				continue
			}
			declares := false
			for _, ps := range []openapi3.Parameters{item.Parameters, o.Parameters} {
				for _, pr := range ps {
					if pr.Value != nil && pr.Value.In == "header" && strings.EqualFold(pr.Value.Name, HeaderName) {
						declares = true
					}
				}
			}
			m.Operations = append(m.Operations, model.Operation{Method: method, Path: p, OperationID: o.OperationID,
				Policy: model.DefaultPolicy, DeclaresKeyHeader: declares})
		}
	}
	slices.SortFunc(m.Operations, func(a, b model.Operation) int {
		return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method)
	})
	return m
}

// TestCorpus augments every corpus document that loads, with every POST
// and PATCH marked, and checks that the output still loads (and validates
// where the input did), only adds lines, and is a fixed point.
func TestCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus: skipped in -short mode")
	}
	var loaded, valid, swagger, ops, commas, grown int
	for _, path := range corpusRoots(t) {
		name := strings.TrimPrefix(path, corpusDir+"/")
		doc, err := kinLoad(path)
		if err != nil {
			t.Logf("%s: does not load (%v); skipped", name, firstLine(err))
			continue
		}
		loaded++
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m := markedModel(doc, path)
		out, err := Spec(src, m)
		if errors.Is(err, ErrSwagger2) {
			swagger++
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ops += len(m.Operations)
		c, g, err := onlyAdds(string(src), string(out))
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		commas += c
		grown += g
		inputValid := doc.Validate(context.Background()) == nil
		if inputValid {
			valid++
		}
		outPath := writeBeside(t, path, out)
		doc2, err := kinLoad(outPath)
		if err != nil {
			t.Errorf("%s: the augmented document does not load: %v", name, err)
			continue
		}
		if err := doc2.Validate(context.Background()); inputValid && err != nil {
			t.Errorf("%s: the input validates, the output does not: %v", name, err)
		}
		again, err := Spec(out, m)
		if err != nil || string(again) != string(out) {
			t.Errorf("%s: a second run changes the output (err %v)", name, err)
		}
	}
	t.Logf("corpus: %d documents load, %d of them validate, %d Swagger 2.0 skipped; %d POST/PATCH operations augmented; %d lines gained a comma, %d flow lines grew",
		loaded, valid, swagger, ops, commas, grown)
}

// writeBeside writes the augmented root into a copy of its folder, so that
// relative $refs of multi-file documents still resolve.
func writeBeside(t *testing.T, path string, out []byte) string {
	dir := t.TempDir()
	if filepath.Dir(path) != filepath.Clean(corpusDir) {
		if err := os.CopyFS(dir, os.DirFS(filepath.Dir(path))); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, filepath.Base(path)), 0o644)
	}
	p := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
