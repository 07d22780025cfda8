package testcases

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ARCHITECTURE.md names the files of each box; a rename that forgets it
// makes the map lie. Every Go file and template it names must exist.
func TestArchitectureNamesRealFiles(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			have[d.Name()] = true
		}
		return nil
	})
	named := regexp.MustCompile(`[A-Za-z0-9_][A-Za-z0-9_.]*\.(?:go|tmpl)\b`).FindAllString(string(doc), -1)
	if len(named) < 20 {
		t.Fatalf("ARCHITECTURE.md names only %d files; the check reads it wrong", len(named))
	}
	for _, n := range named {
		if !have[n] && !strings.HasSuffix(n, ".gen.go") {
			t.Errorf("ARCHITECTURE.md names %s, which no file of the repository is called", n)
		}
	}
}
