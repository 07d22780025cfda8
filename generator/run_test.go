package generator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const tinySpec = `openapi: 3.0.3
info: {title: Tiny, version: "1"}
paths:
  /payments:
    post:
      operationId: createPayment
      x-idempotent: true
      responses: {"201": {description: Created.}}
`

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// entries lists a directory, to see that no temporary file is left behind.
func entries(t *testing.T, dir string) []string {
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

func TestWriteLeavesSameContentUntouched(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "b.txt")
	outs := []output{{target: target{path: a}, data: []byte("one\n")}, {target: target{path: b}, data: []byte("two\n")}}
	if err := write(outs); err != nil {
		t.Fatal(err)
	}
	if readFile(t, a) != "one\n" || readFile(t, b) != "two\n" {
		t.Fatal("contents not written")
	}
	if fi, _ := os.Stat(a); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", fi.Mode().Perm())
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, p := range []string{a, b} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	outs[1].data = []byte("three\n")
	if err := write(outs); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(a); !fi.ModTime().Equal(old) {
		t.Errorf("an unchanged file was rewritten: mtime %v, want %v", fi.ModTime(), old)
	}
	if readFile(t, b) != "three\n" {
		t.Error("a changed file was not rewritten")
	}
	if got := strings.Join(entries(t, dir), " "); got != "a.txt sub" {
		t.Errorf("directory holds %q; a temporary file was left behind?", got)
	}
}

func TestWriteFailureChangesNothing(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	writeFile(t, a, "old\n")
	blocker := filepath.Join(dir, "file")
	writeFile(t, blocker, "")
	outs := []output{
		{target: target{path: a}, data: []byte("new\n")},
		// Its directory would have to be a regular file: it cannot be written.
		{target: target{path: filepath.Join(blocker, "b.txt")}, data: []byte("b\n")},
	}
	if err := write(outs); err == nil {
		t.Fatal("write succeeded")
	}
	if readFile(t, a) != "old\n" {
		t.Error("the first file was changed although the second could not be written")
	}
	if got := strings.Join(entries(t, dir), " "); got != "a.txt file" {
		t.Errorf("directory holds %q; a temporary file was left behind?", got)
	}
}

func TestCheckDiffs(t *testing.T) {
	dir := t.TempDir()
	same, differs, missing := filepath.Join(dir, "same"), filepath.Join(dir, "differs"), filepath.Join(dir, "missing")
	writeFile(t, same, "x\n")
	writeFile(t, differs, "a\nb\nc\n")
	outs := []output{
		{target: target{path: same}, data: []byte("x\n")},
		{target: target{path: differs}, data: []byte("a\nB\nc\n")},
		{target: target{path: missing}, data: []byte("new\n")},
	}
	err := check(outs)
	var ce *CheckError
	if !errors.As(err, &ce) || len(ce.Diffs) != 2 {
		t.Fatalf("check = %v, want a CheckError with two diffs", err)
	}
	for _, want := range []string{"--- " + differs + " (on disk)", "+++ " + differs + " (generated)", "-b\n", "+B\n", " a\n",
		"--- " + missing + " (missing)", "+new\n"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("check error lacks %q:\n%s", want, err)
		}
	}
	if err := check(outs[:1]); err != nil {
		t.Errorf("check of an up-to-date file = %v", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("check wrote a file")
	}
}

func TestRunWritesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	writeFile(t, spec, strings.Replace(tinySpec, "x-idempotent: true", "x-idempotent: {ttl: 86400}", 1))
	goOut := filepath.Join(dir, DefaultGoOut)
	writeFile(t, goOut, "// hand-written\n")
	err := Run(context.Background(), Options{Spec: spec})
	if err == nil || !strings.Contains(err.Error(), "openapi.yaml:7:27: x-idempotent.ttl: must be a Go duration string") {
		t.Fatalf("Run = %v", err)
	}
	if readFile(t, goOut) != "// hand-written\n" {
		t.Error("Run changed a file although it failed")
	}
	if got := strings.Join(entries(t, dir), " "); got != "idempotency.gen.go openapi.yaml" {
		t.Errorf("directory holds %q after a failed run", got)
	}
}

// TestRunThenCheck generates the Go file only (the other outputs are
// skipped), checks it is up to date, then edits it and checks again.
func TestRunThenCheck(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	writeFile(t, spec, tinySpec)
	opts := Options{Spec: spec, Package: "payments", SpecOut: Skip, DocsOut: Skip}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	goOut := filepath.Join(dir, DefaultGoOut)
	src := readFile(t, goOut)
	if !strings.HasPrefix(src, "// Code generated by idemgen. DO NOT EDIT.\n\npackage payments\n") || !strings.Contains(src, "CreatePayment") {
		t.Fatalf("generated file:\n%s", src)
	}
	opts.Check = true
	if err := Run(context.Background(), opts); err != nil {
		t.Fatalf("check right after generating: %v", err)
	}
	writeFile(t, goOut, strings.Replace(src, "CreatePayment", "MakePayment", 1))
	var ce *CheckError
	if err := Run(context.Background(), opts); !errors.As(err, &ce) || !strings.Contains(err.Error(), "+") {
		t.Fatalf("check after an edit = %v", err)
	}
	if !strings.Contains(readFile(t, goOut), "MakePayment") {
		t.Error("check rewrote the file")
	}
}

func TestTargets(t *testing.T) {
	spec := filepath.Join("api", "openapi.yml")
	ts, err := Options{Spec: spec, DocsOut: Skip, OverlayOut: "o.yaml"}.targets("yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, t := range ts {
		got = append(got, t.kind+"="+t.path)
	}
	want := "Go=api/idempotency.gen.go augmented spec=api/openapi.idempotent.yml overlay=o.yaml"
	if strings.Join(got, " ") != filepath.FromSlash(want) {
		t.Errorf("targets = %q, want %q", strings.Join(got, " "), want)
	}
	if DefaultSpecOut("spec", "json") != "spec.idempotent.json" {
		t.Errorf("DefaultSpecOut without an extension = %q", DefaultSpecOut("spec", "json"))
	}
	for _, bad := range []Options{
		{Spec: spec, SpecOut: spec},
		{Spec: spec, GoOut: "x.go", DocsOut: "x.go"},
		{Spec: spec, OverlayIn: "o.yaml", OverlayOut: "o.yaml"},
	} {
		if _, err := bad.targets("yaml"); err == nil {
			t.Errorf("targets(%+v) accepted outputs that collide", bad)
		}
	}
	for _, bad := range []Options{{}, {Spec: spec, Package: "my-pkg"}, {Spec: spec, ServerSpec: "both"}} {
		if err := bad.validate(); err == nil {
			t.Errorf("validate(%+v) = nil", bad)
		}
	}
}

// The augmented spec cannot carry the contract of a path item that lives
// in another file; Run says so on Stderr instead of publishing less than
// the wrappers enforce without a word.
func TestRunWarnsWhatTheSpecCannotDocument(t *testing.T) {
	var stderr strings.Builder
	dir := t.TempDir()
	opts := Options{
		Spec:    filepath.Join("..", "testdata", "specs", "multi_file", "openapi.yaml"),
		GoOut:   filepath.Join(dir, DefaultGoOut),
		SpecOut: filepath.Join(dir, "openapi.idempotent.yaml"),
		DocsOut: Skip,
		Stderr:  &stderr,
	}
	if err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/payments", "/payments/{id}/capture"} {
		want := path + ": the path item is a $ref to another file; its contract is not added"
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if n := strings.Count(stderr.String(), "idemgen: warning:"); n != 2 {
		t.Errorf("%d warnings, want one per path item:\n%s", n, stderr.String())
	}
}

// A Swagger 2.0 document's augmented copy stays Swagger 2.0, and a server
// generated from it (-server-spec augmented) takes the key as params; the
// wrappers must follow.
func TestRunSwagger2ServerFromAugmented(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.yaml")
	writeFile(t, spec, readFile(t, filepath.Join("..", "testdata", "specs", "swagger2", "openapi.yaml")))
	var stderr strings.Builder
	if err := Run(context.Background(), Options{Spec: spec, ServerSpec: ServerSpecAugmented, Stderr: &stderr}); err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	aug := readFile(t, filepath.Join(dir, "openapi.idempotent.yaml"))
	if !strings.HasPrefix(aug, "swagger:") && !strings.Contains(aug, "\nswagger:") {
		t.Errorf("augmented copy is not Swagger 2.0:\n%s", aug)
	}
	src := readFile(t, filepath.Join(dir, DefaultGoOut))
	for _, want := range []string{
		"func (s *IdempotentServer) AddPet(w http.ResponseWriter, r *http.Request, params AddPetParams) {",
		"func (s *IdempotentServer) DeletePet(w http.ResponseWriter, r *http.Request, petId int64, params DeletePetParams) {",
	} {
		if !strings.Contains(src, want) {
			t.Errorf("wrappers lack %q:\n%s", want, src)
		}
	}
}

// oapi-codegen's include/exclude options drop operations from its server
// before anything renders: the augmented spec, the Markdown page and the
// overlay leave them out as the Go file does, whichever document the server
// is generated from, and each dropped operation is warned about once.
func TestRunFiltersBeforeRendering(t *testing.T) {
	caseDir := filepath.Join("..", "testdata", "specs", "oapi_config")
	for _, server := range []string{ServerSpecInput, ServerSpecAugmented} {
		t.Run(server, func(t *testing.T) {
			dir := t.TempDir()
			var stderr strings.Builder
			opts := Options{
				Spec: filepath.Join(caseDir, "openapi.yaml"), OapiConfig: filepath.Join(caseDir, "oapi-codegen.yaml"),
				ServerSpec: server, Stderr: &stderr,
				GoOut: filepath.Join(dir, DefaultGoOut), SpecOut: filepath.Join(dir, "openapi.idempotent.yaml"),
				DocsOut: filepath.Join(dir, DefaultDocsOut), OverlayOut: filepath.Join(dir, "overlay.yaml"),
			}
			if err := Run(context.Background(), opts); err != nil {
				t.Fatalf("Run: %v\n%s", err, stderr.String())
			}
			if n := strings.Count(stderr.String(), "POST /internal/sync is excluded by exclude-operation-ids"); n != 1 {
				t.Errorf("the exclusion is warned about %d times, want once:\n%s", n, stderr.String())
			}
			spec := readFile(t, opts.SpecOut)
			_, sync, _ := strings.Cut(spec, "\n  /internal/sync:\n")
			sync, _, _ = strings.Cut(sync, "\ncomponents:")
			if sync == "" || strings.Contains(sync, "Idempotency") {
				t.Errorf("the augmented spec documents the excluded operation:\n%s", sync)
			}
			if !strings.Contains(spec, "#/components/parameters/IdempotencyKey") {
				t.Errorf("the augmented spec documents nothing:\n%s", spec)
			}
			for _, p := range []string{opts.GoOut, opts.DocsOut, opts.OverlayOut} {
				if got := readFile(t, p); strings.Contains(got, "/internal/sync") || strings.Contains(got, "InternalSync") {
					t.Errorf("%s describes the excluded operation:\n%s", filepath.Base(p), got)
				}
			}
		})
	}
}

// Each step's warnings are printed once, in the pipeline's order: the
// filters', then the names', then what the augmented spec cannot say.
func TestRunWarningsInPipelineOrder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "openapi.yaml"), `openapi: 3.0.3
info: {title: Order, version: "1"}
paths:
  /payments:
    $ref: paths.yaml#/payments
  /sync:
    post:
      operationId: sync
      x-idempotent: true
      responses: {"204": {description: Synced.}}
`)
	writeFile(t, filepath.Join(dir, "paths.yaml"), `payments:
  post:
    operationId: createPayment
    x-idempotent: true
    responses: {"201": {description: Created.}}
`)
	writeFile(t, filepath.Join(dir, "oapi-codegen.yaml"), `package: api
generate:
  strict-server: true
output-options:
  exclude-operation-ids: [sync]
`)
	var stderr strings.Builder
	err := Run(context.Background(), Options{
		Spec: filepath.Join(dir, "openapi.yaml"), OapiConfig: filepath.Join(dir, "oapi-codegen.yaml"),
		DocsOut: Skip, Stderr: &stderr,
	})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	want := []string{
		"POST /sync is excluded by exclude-operation-ids",
		"generate.strict-server with no server target",
		"POST /payments: the path item is a $ref to another file",
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d warnings, want %d:\n%s", len(lines), len(want), stderr.String())
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], "idemgen: warning: ") || !strings.Contains(lines[i], w) {
			t.Errorf("warning %d is %q, want one containing %q", i+1, lines[i], w)
		}
	}
}
