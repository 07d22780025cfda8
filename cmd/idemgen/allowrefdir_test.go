package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const pathItem = "post:\n  x-idempotent: true\n  responses: {\"200\": {description: ok}}\n"

// refTree lays out <dir>/api/openapi.yaml, whose two paths stand in
// <dir>/a/payments.yaml and <dir>/b/refunds.yaml, both outside the spec's
// folder.
func refTree(t *testing.T) (dir, spec string) {
	t.Helper()
	dir = t.TempDir()
	spec = filepath.Join(dir, "api", "openapi.yaml")
	files := map[string]string{
		spec: `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /payments:
    $ref: "../a/payments.yaml"
  /refunds:
    $ref: "../b/refunds.yaml"
`,
		filepath.Join(dir, "a", "payments.yaml"): pathItem,
		filepath.Join(dir, "b", "refunds.yaml"):  pathItem,
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, spec
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// TestAllowRefDir: a $ref out of the spec's folder fails with the flag to
// use and writes nothing; -allow-ref-dir, given once per folder, before or
// after the spec, lets the files in.
func TestAllowRefDir(t *testing.T) {
	ctx := context.Background()
	dir, spec := refTree(t)
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	cases := []struct {
		name   string
		args   []string
		code   int
		inErr  string
		notErr string
	}{
		{"no flag", []string{spec}, 1, `openapi.yaml:5:11: $ref "../a/payments.yaml": `, ""},
		{"one folder", []string{"-allow-ref-dir", a, spec}, 1, `-allow-ref-dir ` + b + `)`, "payments.yaml"},
		{"empty", []string{"-allow-ref-dir=", spec}, 2, "invalid value", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(ctx, c.args, &out, &errOut)
			if code != c.code || !strings.Contains(errOut.String(), c.inErr) ||
				c.notErr != "" && strings.Contains(errOut.String(), c.notErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr containing %q and not %q", code, errOut.String(), c.code, c.inErr, c.notErr)
			}
			if got := listDir(t, filepath.Dir(spec)); !slices.Equal(got, []string{"openapi.yaml"}) {
				t.Errorf("a failed run left files behind: %v", got)
			}
		})
	}

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"-allow-ref-dir", a, spec, "-allow-ref-dir", b}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := []string{"IDEMPOTENCY.md", "idempotency.gen.go", "openapi.idempotent.yaml", "openapi.yaml"}
	if got := listDir(t, filepath.Dir(spec)); !slices.Equal(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
}
