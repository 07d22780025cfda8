package testcases

import (
	"os"
	"strings"
	"testing"
)

func TestFirstLine(t *testing.T) {
	long := strings.Repeat("x", 200)
	for in, want := range map[string]string{
		"":                  "",
		"one":               "one",
		"one\ntwo\nthree":   "one",
		long + "\nsecond":   long[:160] + "…",
		long[:160] + "\nxy": long[:160],
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%.20q…) = %.20q…, want %.20q…", in, got, want)
		}
	}
}

// Every listed document's root file exists, and a multi-file document is
// listed under its folder's name.
func TestCorpus(t *testing.T) {
	docs := Corpus(t)
	if len(docs) == 0 {
		t.Fatal("the corpus lists no documents")
	}
	folders := 0
	for _, d := range docs {
		if _, err := os.Stat(d.Spec); err != nil {
			t.Errorf("%s: %v", d.Name, err)
		}
		if !strings.HasSuffix(d.Spec, "/"+d.Name) {
			folders++
		}
	}
	if folders == 0 {
		t.Error("no multi-file document listed through its ROOT file")
	}
}
