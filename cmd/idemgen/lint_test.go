package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLintExitStatus: -lint exits 0 with nothing on stdout for a clean
// spec, 1 with one finding a line for findings, and 2, with idemgen:
// lines on stderr, when it cannot lint.
func TestLintExitStatus(t *testing.T) {
	specs := filepath.Join("..", "..", "generator", "lint", "testdata")
	bad, clean, near := filepath.Join(specs, "bad.yaml"), filepath.Join(specs, "clean.yaml"), filepath.Join(specs, "nearmiss.yaml")
	ttl := filepath.Join(t.TempDir(), "ttl.yaml")
	if err := os.WriteFile(ttl, []byte(strings.Replace(markedDoc, "x-idempotent: true", "x-idempotent: {ttl: 5}", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	all := "unmarked-unsafe,near-miss-marker,body-key-field,own-key-header,wait-exceeds-ttl,unscoped-auth,no-success-response,short-ttl"
	cases := []struct {
		name  string
		args  []string
		code  int
		lines int    // on stdout
		in    string // a piece of stdout, or of stderr when code is 2
	}{
		{"clean", []string{"-lint", clean}, 0, 0, ""},
		{"findings", []string{"-lint", bad}, 1, 9, bad + ":19:17: body-key-field: request body property \"idempotency_key\""},
		{"flags after the spec", []string{bad, "-lint", "-lint-disable", "body-key-field, own-key-header"}, 1, 6, bad + ":7:5: unmarked-unsafe: "},
		{"every rule disabled", []string{"-lint", "-lint-disable", all, bad}, 0, 0, ""},
		{"PUT and DELETE too", []string{"-lint", "-lint-methods", "POST,PATCH,PUT,DELETE", clean}, 1, 2, clean + ":31:5: unmarked-unsafe: PUT /payments/{id}"},
		{"near miss", []string{"-lint", near}, 1, 1, near + ":7:7: near-miss-marker: X-Idempotent: did you mean x-idempotent?"},
		{"near miss disabled", []string{"-lint", "-lint-disable", "near-miss-marker", near}, 2, 0, "idemgen: " + near + ":7:7: X-Idempotent: did you mean"},
		{"bad spec", []string{"-lint", ttl}, 2, 0, "x-idempotent.ttl: must be a Go duration"},
		{"missing spec", []string{"-lint", filepath.Join(specs, "none.yaml")}, 2, 0, "none.yaml"},
		{"unknown rule", []string{"-lint", "-lint-disable", "unscoped", clean}, 2, 0, `idemgen: unknown lint rule "unscoped"`},
		{"safe method", []string{"-lint", "-lint-methods", "GET", clean}, 2, 0, "idemgen: cannot lint GET operations"},
		{"unknown format", []string{"-lint", "-lint-format", "json", clean}, 2, 0, `idemgen: -lint-format "json"`},
		{"with -check", []string{"-lint", "-check", clean}, 2, 0, "idemgen: -lint and -check cannot be combined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), c.args, &out, &errOut)
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				lines = nil
			}
			where := out.String()
			if c.code == 2 {
				where = errOut.String()
			}
			if code != c.code || len(lines) != c.lines || !strings.Contains(where, c.in) {
				t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit %d, %d lines, and %q", code, out.String(), errOut.String(), c.code, c.lines, c.in)
			}
			for l := range strings.SplitSeq(strings.TrimSuffix(errOut.String(), "\n"), "\n") {
				if l != "" && !strings.HasPrefix(l, "idemgen: ") {
					t.Errorf("stderr line %q lacks the prefix", l)
				}
			}
		})
	}
}

// TestLintExample: the example lints clean, as CI runs it: its one unsafe
// operation that is meant to repeat (appending a note) says so with
// x-idempotent: false.
func TestLintExample(t *testing.T) {
	spec := filepath.Join("..", "..", "examples", "payments", "openapi.yaml")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-lint", spec}, &out, &errOut); code != 0 || out.Len() != 0 {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 0 and nothing: the example marks every POST, addNote with x-idempotent: false", code, out.String(), errOut.String())
	}
}

// TestLintSARIF: -lint-format sarif writes one JSON document, the exit
// status unchanged; the schema itself is checked in generator/lint.
func TestLintSARIF(t *testing.T) {
	spec := filepath.Join("..", "..", "generator", "lint", "testdata", "bad.yaml")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-lint", "-lint-format", "sarif", spec}, &out, &errOut)
	var log struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct{ ArtifactLocation struct{ URI string } }
				}
			}
		}
	}
	if err := json.Unmarshal(out.Bytes(), &log); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out.String())
	}
	if code != 1 || log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != 9 {
		t.Fatalf("exit %d, %+v", code, log)
	}
	if uri := log.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI; uri != "../../generator/lint/testdata/bad.yaml" {
		t.Errorf("uri %q, want the spec relative to the working directory", uri)
	}
}
