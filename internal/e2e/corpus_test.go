package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/gocode"
	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/internal/testcases"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// raceEnabled is set by race_test.go in -race builds.
var raceEnabled bool

// TestCorpusCompiles runs idemgen over every corpus document with every
// POST and PATCH marked and, wherever oapi-codegen itself generates a
// std-http server that compiles, checks that the wrappers compile against
// it. Documents that idemgen refuses to load are TestCorpus's business (in
// package generator); here they are only counted.
func TestCorpusCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and type-checks every corpus server; skipped with -short")
	}
	if raceEnabled {
		t.Skip("no concurrency to check, and minutes slower under -race; run without it")
	}
	docs := testcases.Corpus(t)
	m := newTempModule(t, "example.com/corpus")
	var notLoaded, noServer, wrapped []string
	pkgOf := map[string]string{}
	for _, d := range docs {
		name := d.Name
		res, err := load.Load(context.Background(), d.Spec, load.Options{MarkMethods: []string{"POST", "PATCH"}})
		if err != nil {
			notLoaded = append(notLoaded, name)
			continue
		}
		doc, err := res.Fresh(context.Background())
		must(t, err)
		start := time.Now()
		api, err := oapiCodegen(doc, "api", stdHTTP, codegen.Configuration{})
		if err != nil {
			noServer = append(noServer, fmt.Sprintf("%s (%s)", name, testcases.FirstLine(err.Error())))
			continue
		}
		took := time.Since(start)
		doc, err = res.Fresh(context.Background())
		must(t, err)
		start = time.Now()
		model, _, err := gocode.Resolve(doc, gocode.Config{}, res.Model)
		if err != nil {
			t.Errorf("%s: oapi-codegen generates a server but Resolve fails: %v", name, err)
			continue
		}
		src, err := gocode.Render(model, gocode.Options{Package: "api", Source: filepath.Base(d.Spec)})
		if err != nil {
			t.Errorf("%s: Render: %v", name, err)
			continue
		}
		t.Logf("%s: %d marked operations; oapi-codegen %v, Resolve+Render %v", name, len(model.Operations), took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		dir := "c" + fmt.Sprint(len(pkgOf))
		pkgOf[dir] = name
		m.Write(dir+"/api.gen.go", api)
		m.Write(dir+"/idempotency.gen.go", src)
	}

	var brokenServer []string
	failed := typeCheck(t, m)
	for _, dir := range slices.Sorted(mapKeys(pkgOf)) {
		name, errs := pkgOf[dir], failed[dir]
		switch {
		case len(errs) == 0:
			wrapped = append(wrapped, name)
		case slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, "api.gen.go:") }):
			// oapi-codegen's own output does not compile. The type checker
			// still reports errors in the wrappers, but they may follow
			// from the server's (an undefined parameter type), so they are
			// counted, not failed.
			ours := 0
			for _, e := range errs {
				if strings.Contains(e, "idempotency.gen.go:") {
					ours++
				}
			}
			brokenServer = append(brokenServer, fmt.Sprintf("%s (%d errors in the wrappers; the server's first: %s)", name, ours, testcases.FirstLine(errs[0])))
		default:
			t.Errorf("%s: the wrappers do not compile against oapi-codegen's server:\n%s", name, strings.Join(errs, "\n"))
		}
	}
	t.Logf("corpus: %d documents; wrappers compile for %d: %s", len(docs), len(wrapped), strings.Join(wrapped, " "))
	t.Logf("idemgen refuses to load %d: %s", len(notLoaded), strings.Join(notLoaded, " "))
	t.Logf("oapi-codegen generates no std-http server for %d: %s", len(noServer), strings.Join(noServer, "; "))
	t.Logf("oapi-codegen's server does not compile for %d: %s", len(brokenServer), strings.Join(brokenServer, "; "))
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
