package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const markedDoc = "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    post:\n      operationId: makeA\n      x-idempotent: true\n      responses: {\"200\": {description: ok}}\n"

// TestErrorStatusAndPrefix: every error line starts with "idemgen:", and
// -check tells drift (1) from anything else that goes wrong (2), so that CI
// can tell a stale file from a broken spec.
func TestErrorStatusAndPrefix(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "openapi.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	typo := strings.Replace(markedDoc, "x-idempotent: true", "x-idempotent: {required: yes, tll: 1h}", 1)
	for name, doc := range map[string]string{good: markedDoc, bad: typo} {
		if err := os.WriteFile(name, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	quiet := []string{"-spec-out", "-", "-docs-out", "-"}
	var out, errOut bytes.Buffer
	if code := run(ctx, append(quiet, good), &out, &errOut); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut.String())
	}
	cases := []struct {
		name string
		args []string
		code int
		// inErr is a piece of stderr; lines says how many lines it has,
		// each of which must start with "idemgen:".
		inErr string
		lines int
	}{
		{"bad spec", []string{bad}, 1, "bad.yaml:7:", 2},
		{"bad spec, -check", []string{"-check", bad}, 2, "x-idempotent.tll: unknown field", 2},
		{"missing spec, -check", []string{"-check", filepath.Join(dir, "none.yaml")}, 2, "none.yaml", 1},
		{"bad flag value, -check", []string{"-check", "-server-spec", "other", good}, 2, `server spec "other"`, 1},
		{"bad flag value", []string{"-server-spec", "other", good}, 1, `server spec "other"`, 1},
		{"unknown -mark method", []string{"-mark", "POTS", good}, 1, "cannot mark POTS operations idempotent", 1},
		{"unknown -mark method, -check", []string{"-check", "-mark", "post,pots", good}, 2, "(did you mean POST?)", 1},
		{"fresh, -check", []string{"-check", good}, 0, "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(ctx, append(append([]string{}, quiet...), c.args...), &out, &errOut)
			got := errOut.String()
			if code != c.code || !strings.Contains(got, c.inErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and stderr containing %q", code, got, c.code, c.inErr)
			}
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if got == "" {
				lines = nil
			}
			if len(lines) != c.lines {
				t.Errorf("%d lines on stderr, want %d:\n%s", len(lines), c.lines, got)
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "idemgen: ") {
					t.Errorf("line %q does not start with \"idemgen: \"", l)
				}
			}
		})
	}
}

// TestUsageErrorsArePrefixed: the flag package's own complaints get the
// prefix too, before the usage text.
func TestUsageErrorsArePrefixed(t *testing.T) {
	for _, args := range [][]string{{"-no-such-flag", "a.yaml"}, {"-allow-ref-dir", "", "a.yaml"}, {"-check", "-no-such-flag", "a.yaml"}} {
		var out, errOut bytes.Buffer
		code := run(context.Background(), args, &out, &errOut)
		first, rest, _ := strings.Cut(errOut.String(), "\n")
		if code != 2 || !strings.HasPrefix(first, "idemgen: ") || !strings.HasPrefix(rest, "usage: idemgen") {
			t.Errorf("run(%q) = %d, stderr:\n%s\nwant 2, an idemgen: line, then the usage", args, code, errOut.String())
		}
	}
}

// TestCheckDriftKeepsDiff: the drift report's heading is prefixed, its diff
// lines are left as diff wrote them.
func TestCheckDriftKeepsDiff(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	if err := os.WriteFile(spec, []byte(markedDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-check", "-spec-out", "-", "-docs-out", "-", spec}, &out, &errOut)
	got := errOut.String()
	if code != 1 || !strings.HasPrefix(got, "idemgen: 1 generated file(s) out of date") || !strings.Contains(got, "\n--- "+filepath.Join(dir, "idempotency.gen.go")+" (missing)\n") {
		t.Errorf("-check with the Go file missing: exit %d, stderr:\n%s", code, got)
	}
}
