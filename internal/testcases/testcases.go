// Package testcases lists the test inputs that tests in several packages
// share, so that each package reads them the same way: the corpus of
// public OpenAPI documents beside the repository (shared/corpus/specs,
// read in place, never copied in). It is imported only from _test.go
// files.
//
// The corpus is optional: a checkout without it skips the tests that need
// it, under CI too, since the corpus is not part of the repository.
package testcases

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Doc is one corpus document.
type Doc struct {
	// Name is its file or folder name in the corpus.
	Name string
	// Spec is the path of its root file: the file itself, or for a
	// multi-file document the entry that its folder's ROOT file names.
	Spec string
}

// CorpusDir is the corpus folder, ../shared/corpus/specs from the module
// root. It skips the test when there is none.
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	root, err := moduleRoot()
	if err != nil {
		tb.Fatal(err)
	}
	dir := filepath.Join(root, "..", "shared", "corpus", "specs")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		tb.Skipf("no corpus at %s", dir)
	}
	return dir
}

// Corpus lists the corpus documents in name order: each .yaml, .yml or
// .json file, and each folder through its ROOT file. A folder without one
// is an error of the test; the other documents are still listed.
func Corpus(tb testing.TB) []Doc {
	tb.Helper()
	dir := CorpusDir(tb)
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var docs []Doc
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		switch ext := filepath.Ext(e.Name()); {
		case e.IsDir():
			root, err := os.ReadFile(filepath.Join(p, "ROOT"))
			if err != nil {
				tb.Errorf("%s: a multi-file document needs a ROOT file naming its entry: %v", p, err)
				continue
			}
			docs = append(docs, Doc{Name: e.Name(), Spec: filepath.Join(p, strings.TrimSpace(string(root)))})
		case ext == ".yaml", ext == ".yml", ext == ".json":
			docs = append(docs, Doc{Name: e.Name(), Spec: p})
		}
	}
	return docs
}

// moduleRoot is the nearest folder above the working directory (a test's
// package folder) that holds a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testcases: no go.mod above the working directory")
		}
		dir = parent
	}
}

// FirstLine is the first line of s, cut to 160 bytes, for a one-line
// summary of a long error in a test's log.
func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
