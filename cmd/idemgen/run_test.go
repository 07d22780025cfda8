package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageAndVersion(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		args       []string
		code       int
		out, inErr string
	}{
		{[]string{"-version"}, 0, "idemgen (devel)\n", ""},
		{[]string{"-h"}, 0, "", "//go:generate go tool idemgen"},
		{nil, 2, "", "want exactly one spec, got 0"},
		{[]string{"a.yaml", "b.yaml"}, 2, "", "want exactly one spec, got 2"},
		{[]string{"-no-such-flag", "a.yaml"}, 2, "", "flag provided but not defined: -no-such-flag"},
		{[]string{"-server-spec", "other", "a.yaml"}, 1, "", `server spec "other"`},
		{[]string{"-mark", "GET", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "", "missing.yaml"},
	}
	for _, c := range cases {
		var out, errOut bytes.Buffer
		code := run(ctx, c.args, &out, &errOut)
		if code != c.code || out.String() != c.out || !strings.Contains(errOut.String(), c.inErr) {
			t.Errorf("run(%q) = %d, stdout %q, stderr %q; want %d, %q, stderr containing %q",
				c.args, code, out.String(), errOut.String(), c.code, c.out, c.inErr)
		}
	}
}

// TestFlagsAfterSpec runs a real generation with the flags written after
// the spec, and skips every output but the Markdown page, so that the flags
// are seen to reach the generator.
func TestFlagsAfterSpec(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	doc := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    post:\n      responses: {\"200\": {description: ok}}\n"
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := filepath.Join(dir, "out", "API.md")
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{spec, "-o", "-", "-spec-out=-", "-mark", "post, patch", "-docs-out", docs}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	md, err := os.ReadFile(docs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "/a") {
		t.Errorf("the page does not list the operation marked by -mark:\n%s", md)
	}
	for _, name := range []string{"idempotency.gen.go", "openapi.idempotent.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s was written although skipped", name)
		}
	}
}

// TestCheckExitStatus: -check exits 0 when the files are current and 1,
// with a diff on stderr, when one was edited.
func TestCheckExitStatus(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	doc := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    post:\n      operationId: makeA\n      x-idempotent: true\n      responses: {\"200\": {description: ok}}\n"
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	args := []string{"-package", "things", "-spec-out", "-", "-docs-out", "-", spec}
	var out, errOut bytes.Buffer
	if code := run(ctx, args, &out, &errOut); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errOut.String())
	}
	check := append([]string{"-check"}, args...)
	if code := run(ctx, check, &out, &errOut); code != 0 {
		t.Fatalf("-check on fresh output: exit %d: %s", code, errOut.String())
	}
	goOut := filepath.Join(dir, "idempotency.gen.go")
	src, err := os.ReadFile(goOut)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goOut, []byte(strings.Replace(string(src), "package things", "package other", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	if code := run(ctx, check, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "-package other\n+package things") {
		t.Errorf("-check after an edit: exit %d, stderr:\n%s", code, errOut.String())
	}
}

// TestCheckOutsideGoGenerate runs the CI drift check as the README and the
// usage text write it, without go generate's $GOPACKAGE, on a copy of the
// example: the package must come from the oapi-codegen configuration, so
// the committed outputs check clean.
func TestCheckOutsideGoGenerate(t *testing.T) {
	t.Setenv("GOPACKAGE", "")
	dir := t.TempDir()
	for _, name := range []string{"openapi.yaml", "oapi-codegen.yaml", "idempotency.gen.go", "openapi.idempotent.yaml", "IDEMPOTENCY.md"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "payments", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	args := []string{"-check", "-oapi-config", filepath.Join(dir, "oapi-codegen.yaml"), filepath.Join(dir, "openapi.yaml")}
	if code := run(context.Background(), args, &out, &errOut); code != 0 {
		t.Fatalf("idemgen %s = %d:\n%s%s", strings.Join(args, " "), code, out.String(), errOut.String())
	}
}
