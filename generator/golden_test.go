package generator

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files from the generator's output")

// caseOptions is a golden case's options.json: what the case needs beyond
// the defaults. File names are relative to the case folder.
type caseOptions struct {
	Package         string   `json:"package"`
	MarkMethods     []string `json:"markMethods"`
	ServerSpec      string   `json:"serverSpec"`
	OapiConfig      string   `json:"oapiConfig"`
	Overlay         string   `json:"overlay"`
	OverlayOut      bool     `json:"overlayOut"`
	AllowRemoteRefs bool     `json:"allowRemoteRefs"`
	// DefaultSpecOut leaves SpecOut empty, so that Run picks (or skips)
	// the augmented spec's name itself.
	DefaultSpecOut bool `json:"defaultSpecOut"`
}

// goldenOverlayOut is the golden name of the overlay output, when a case
// asks for one.
const goldenOverlayOut = "overlay.idempotent.yaml"

// goldenCase is one folder of testdata/specs: its spec's entry file
// (openapi.yaml, .yml or .json) beside any files it refers to.
type goldenCase struct {
	name, dir, entry string
}

func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "testdata", "specs"))
	if err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []goldenCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		c := goldenCase{name: e.Name(), dir: filepath.Join(root, e.Name())}
		for _, n := range []string{"openapi.yaml", "openapi.yml", "openapi.json"} {
			if _, err := os.Stat(filepath.Join(c.dir, n)); err == nil {
				c.entry = n
				break
			}
		}
		if c.entry == "" {
			t.Errorf("%s: no openapi.yaml, openapi.yml or openapi.json", c.dir)
			continue
		}
		cases = append(cases, c)
	}
	return cases
}

// TestGolden renders every case of testdata/specs and compares each output
// with golden/<case>/ byte for byte; a bad_* case's error text is compared
// with golden/<case>/error.txt. Each output is compared on its own, so a
// renderer that fails shows up as that output's failure while the others
// are still checked. `go test ./generator -update` rewrites the files.
//
// The test runs in each case's folder, with the spec named as a user's
// go:generate line names it, so that paths in messages and outputs are the
// ones a user sees.
func TestGolden(t *testing.T) {
	goldenRoot, err := filepath.Abs(filepath.Join("..", "golden"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(c.dir)
			want := filepath.Join(goldenRoot, c.name)
			opts := Options{
				Spec:    c.entry,
				Package: "api",
				GoOut:   filepath.Join(want, DefaultGoOut),
				SpecOut: filepath.Join(want, DefaultSpecOut(c.entry, "")),
				DocsOut: filepath.Join(want, DefaultDocsOut),
			}
			co := readCaseOptions(t, c.dir)
			if co.Package != "" {
				opts.Package = co.Package
			}
			opts.MarkMethods, opts.ServerSpec, opts.OapiConfig = co.MarkMethods, co.ServerSpec, co.OapiConfig
			opts.OverlayIn, opts.AllowRemoteRefs = co.Overlay, co.AllowRemoteRefs
			if co.DefaultSpecOut {
				opts.SpecOut = ""
			}
			if co.OverlayOut {
				opts.OverlayOut = filepath.Join(want, goldenOverlayOut)
			}

			outs, err := render(context.Background(), opts)
			expected := []string{"error.txt"}
			if strings.HasPrefix(c.name, "bad_") {
				for _, o := range outs {
					// A renderer's refusal (gocode's checks): Run writes
					// nothing and reports it after the output's name.
					if err == nil {
						err = o.err
					}
				}
				if err == nil {
					t.Fatalf("%s rendered without error; a bad_ case must fail", c.name)
				}
				compareGolden(t, filepath.Join(want, "error.txt"), []byte(err.Error()+"\n"))
			} else {
				if err != nil {
					t.Fatal(err)
				}
				expected = nil
				for _, o := range outs {
					expected = append(expected, filepath.Base(o.path))
					if o.err != nil {
						t.Errorf("%s: the %s renderer failed: %v", filepath.Base(o.path), o.kind, o.err)
						continue
					}
					compareGolden(t, o.path, o.data)
				}
			}
			checkNoStrays(t, want, expected)
		})
	}
}

// readCaseOptions reads a case folder's options.json, if it has one.
func readCaseOptions(t *testing.T, dir string) caseOptions {
	t.Helper()
	co, err := loadCaseOptions(dir)
	if err != nil {
		t.Fatal(err)
	}
	return co
}

func loadCaseOptions(dir string) (caseOptions, error) {
	var co caseOptions
	data, err := os.ReadFile(filepath.Join(dir, "options.json"))
	if os.IsNotExist(err) {
		return co, nil
	}
	if err != nil {
		return co, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&co); err != nil {
		return co, fmt.Errorf("%s/options.json: %w", dir, err)
	}
	return co, nil
}

// compareGolden compares got with the file at path, or with -update writes it.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, got) {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v (run go test ./generator -update to create it)", err)
		return
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the generator's output (go test ./generator -update rewrites it):\n%s",
			filepath.Base(path), unifiedDiff(path+" (golden)", path+" (generated)", want, got))
	}
}

// checkNoStrays reports golden files no output produces any more, such as
// a Go file left behind by a case that became a bad_ case; -update removes
// them.
func checkNoStrays(t *testing.T, dir string, expected []string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if e.IsDir() || slices.Contains(expected, e.Name()) {
			continue
		}
		if *update {
			os.Remove(filepath.Join(dir, e.Name()))
			continue
		}
		t.Errorf("%s: no output produces this golden file any more (-update removes it)", filepath.Join(filepath.Base(dir), e.Name()))
	}
}
