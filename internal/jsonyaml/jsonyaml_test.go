package jsonyaml

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/internal/testcases"
)

// Parse must build YAML's tree exactly, or leave the document to YAML.
func TestParseJSONIsYAMLsTree(t *testing.T) {
	read := []string{
		`{}`, `[]`, `{"a": 1}`, "\n\n   {\"a\": 1}  \n\n", "\ufeff\n {\"a\": [1, {}]}",
		"{\"a\u00e9\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\\/\\\"\\\\\\b\\f\\r\\t\", {}, []],\r\n  \"b\": {\"c\": \"\u65e5\u672c\", \"d\":0, \"e\": 1E2, \"f\": -0, \"g\": 12345678901234567890, \"h\": 1e+400}\n}\n",
		`{"a": 1, "a": 2}`, "{\t\"a\":\t1}", `{"a": "\u0000"}`, `{"x": "<<", "<<": {"y": 1}}`,
		`{"a": 0.5, "b": -1, "c": 1.0e-3, "d": 10}`,
	}
	for _, c := range read {
		if !checkParseJSON(t, fmt.Sprintf("%.40q", c), []byte(c)) {
			t.Errorf("%.40q: Parse declined it", c)
		}
	}
	// YAML reads these differently, or not at all, or they are not JSON.
	declined := []string{
		`{"a": "\ud83d\ude00"}`, "{\"a\": \"x\u2028y\"}", "{\"a\": \"x\u0085y\"}", "{\"a\": 1}\r{}", "{\"a\": \"\x7f\"}",
		"{\"a\":1}\n---\n{}", `{"a": [1,2,]}`, `{"a": 1,}`, `{a: 1}`, `{"a": tru}`, `{"a": 01}`, `{"a": 1} # c`,
		`{"a": "x` + "\t" + `"}`, "{\"a\": \"\xff\"}", `{"a": 1.}`, `{"a": -}`, `{"a" 1}`, `{"a": [1 2]}`,
		strings.Repeat("[", 2000) + strings.Repeat("]", 2000),
	}
	for _, c := range declined {
		if checkParseJSON(t, fmt.Sprintf("%.40q", c), []byte(c)) {
			t.Errorf("%.40q: Parse read it", c)
		}
	}
	specs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "specs", "*", "*.json"))
	if len(specs) == 0 {
		t.Fatal("no JSON golden inputs found to compare on")
	}
	for _, p := range specs {
		checkParseJSONFile(t, p)
	}
}

// The same on the corpus's JSON documents, which Parse must all read:
// a parser that declined everything would pass the tests above.
func TestParseJSONOnTheCorpus(t *testing.T) {
	docs, _ := filepath.Glob(filepath.Join(testcases.CorpusDir(t), "*.json"))
	for _, p := range docs {
		if !checkParseJSONFile(t, p) {
			t.Errorf("%s: Parse declined it", p)
		}
	}
}

func checkParseJSONFile(t *testing.T, p string) bool {
	t.Helper()
	src, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return checkParseJSON(t, p, src)
}

// checkParseJSON compares Parse with YAML on src and reports whether
// Parse read it.
func checkParseJSON(t *testing.T, name string, src []byte) bool {
	t.Helper()
	var want yaml.Node
	wantErr := yaml.Unmarshal(src, &want)
	got, ok := Parse(src)
	if !ok {
		return false // YAML reads it, as before
	}
	if wantErr != nil {
		t.Errorf("%s: Parse read what YAML refuses (%v)", name, wantErr)
		return true
	}
	if diff := nodeDiff(&want, got, "doc"); diff != "" {
		t.Errorf("%s: Parse's tree differs from YAML's: %s", name, diff)
	}
	return true
}

// nodeDiff describes the first difference between two trees, or "".
func nodeDiff(a, b *yaml.Node, at string) string {
	if fa, fb := nodeFields(a), nodeFields(b); fa != fb {
		return fmt.Sprintf("at %s: YAML has %s, Parse %s", at, fa, fb)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Sprintf("at %s: %d children against %d", at, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		if d := nodeDiff(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

func nodeFields(n *yaml.Node) string {
	return fmt.Sprintf("kind=%d style=%d tag=%q value=%q anchor=%q alias=%v comments=%q/%q/%q at %d:%d stream=%v",
		n.Kind, n.Style, n.Tag, n.Value, n.Anchor, n.Alias != nil, n.HeadComment, n.LineComment, n.FootComment, n.Line, n.Column, n.Stream != nil)
}
