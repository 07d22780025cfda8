package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/generator/load"
)

func loadSpec(t *testing.T, path string, opts load.Options) *load.Result {
	t.Helper()
	res, err := load.Load(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return res
}

func lintSpec(t *testing.T, path string, opts Options) []Finding {
	t.Helper()
	fs, err := Lint(context.Background(), loadSpec(t, path, load.Options{}), opts)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// places renders findings as "line:col rule", what the tests pin.
func places(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%d:%d %s", f.Origin.Line, f.Origin.Column, f.Rule)
	}
	return out
}

// badFindings are where each rule fires in testdata/bad.yaml, the place
// being the key a reader would edit.
var badFindings = []string{
	"7:5 unmarked-unsafe",      // post: of /notes
	"10:11 own-key-header",     // name: PayPal-Request-Id
	"19:17 body-key-field",     // idempotency_key:
	"25:7 unscoped-auth",       // x-idempotent: of /payments, under the global security
	"27:9 wait-exceeds-ttl",    // wait: 2h
	"34:7 no-success-response", // x-idempotent: of /quick, which answers 400 only
	"34:22 short-ttl",          // ttl: 30s
	"54:5 unmarked-unsafe",     // patch: of /orders/{id}; its put: is not reported by default
	"73:9 body-key-field",      // requestId: in components, once for both its operations
}

func TestRulesFireWhereWritten(t *testing.T) {
	fs := lintSpec(t, "testdata/bad.yaml", Options{})
	if got := places(fs); !slices.Equal(got, badFindings) {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(badFindings, "\n"))
	}
	for _, f := range fs {
		if f.Origin.File != filepath.FromSlash("testdata/bad.yaml") {
			t.Errorf("%s: placed in %q", f, f.Origin.File)
		}
	}
	byRule := map[string]string{}
	for _, f := range fs {
		byRule[f.Rule] += f.Msg + "\n"
	}
	for rule, want := range map[string][]string{
		RuleUnscopedAuth:   {"POST /payments", "(bearer)", "one caller who reuses another's key gets the other's stored response", "scopeHeaders: [Authorization]", "WithScope"},
		RuleBodyKeyField:   {`"idempotency_key" of POST /notes`, `"requestId" of POST /orders, PATCH /orders/{id}`},
		RuleOwnKeyHeader:   {"PayPal-Request-Id"},
		RuleWaitExceedsTTL: {"wait 2h", "ttl 1h"},
		RuleUnmarkedUnsafe: {"-mark POST", "x-idempotent: false"},
	} {
		for _, w := range want {
			if !strings.Contains(byRule[rule], w) {
				t.Errorf("%s messages lack %q:\n%s", rule, w, byRule[rule])
			}
		}
	}
}

// TestCleanSpec: a spec that does what each rule asks gets nothing,
// although it has an unmarked PUT and DELETE, an x-idempotent: false POST,
// the standard Idempotency-Key header, a GET's X-Request-Id and a body
// property merely named "request".
func TestCleanSpec(t *testing.T) {
	if fs := lintSpec(t, "testdata/clean.yaml", Options{}); len(fs) != 0 {
		t.Fatalf("findings on a clean spec:\n%s", strings.Join(places(fs), "\n"))
	}
}

func TestMethods(t *testing.T) {
	fs := lintSpec(t, "testdata/clean.yaml", Options{Methods: []string{"put", "DELETE", "POST"}})
	want := []string{"31:5 unmarked-unsafe", "35:5 unmarked-unsafe"}
	if got := places(fs); !slices.Equal(got, want) {
		t.Errorf("with PUT and DELETE: %q, want %q", got, want)
	}
	fs = lintSpec(t, "testdata/bad.yaml", Options{Methods: []string{"PUT"}})
	var unmarked []string
	for _, f := range fs {
		if f.Rule == RuleUnmarkedUnsafe {
			unmarked = append(unmarked, places([]Finding{f})...)
		}
	}
	if want := []string{"50:5 unmarked-unsafe"}; !slices.Equal(unmarked, want) {
		t.Errorf("-lint-methods PUT alone: %q, want %q (POST and PATCH no longer reported)", unmarked, want)
	}
}

func TestDisable(t *testing.T) {
	all := lintSpec(t, "testdata/bad.yaml", Options{})
	for _, r := range Rules {
		var others []string
		for _, o := range Rules {
			if o.Name != r.Name {
				others = append(others, o.Name)
			}
		}
		var want []string
		for _, f := range all {
			if f.Rule == r.Name {
				want = append(want, places([]Finding{f})...)
			}
		}
		if got := places(lintSpec(t, "testdata/bad.yaml", Options{Disable: others})); !slices.Equal(got, want) {
			t.Errorf("%s alone: %q, want %q", r.Name, got, want)
		}
		for _, f := range lintSpec(t, "testdata/bad.yaml", Options{Disable: []string{r.Name}}) {
			if f.Rule == r.Name {
				t.Errorf("%s disabled, yet: %s", r.Name, f)
			}
		}
	}
}

func TestUnscopedAuthAlone(t *testing.T) {
	ctx := context.Background()
	fs, err := UnscopedAuth(ctx, loadSpec(t, "testdata/bad.yaml", load.Options{}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := places(fs), []string{"25:7 unscoped-auth"}; !slices.Equal(got, want) {
		t.Errorf("UnscopedAuth = %q, want %q", got, want)
	}
	fs, err = UnscopedAuth(ctx, loadSpec(t, "testdata/clean.yaml", load.Options{}), nil)
	if err != nil || len(fs) != 0 {
		t.Errorf("UnscopedAuth on the clean spec = %v, %v", fs, err)
	}
}

// TestMarkedByFlag: an operation -mark marks is marked for the rules too,
// with its policy placed at the method key.
func TestMarkedByFlag(t *testing.T) {
	res := loadSpec(t, "testdata/bad.yaml", load.Options{MarkMethods: []string{"POST", "PATCH"}})
	fs, err := Lint(context.Background(), res, Options{Disable: []string{RuleBodyKeyField, RuleOwnKeyHeader}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"7:5 unscoped-auth", "25:7 unscoped-auth", "27:9 wait-exceeds-ttl", "34:7 no-success-response", "34:22 short-ttl"}
	if got := places(fs); !slices.Equal(got, want) {
		t.Errorf("with -mark POST,PATCH: %q, want %q", got, want)
	}
}

func TestNearMissFromLoad(t *testing.T) {
	_, err := load.Load(context.Background(), "testdata/nearmiss.yaml", load.Options{})
	fs, ok := FromLoadError(err)
	if !ok || !slices.Equal(places(fs), []string{"7:7 near-miss-marker"}) || !strings.Contains(fs[0].Msg, "did you mean x-idempotent?") {
		t.Fatalf("FromLoadError(%v) = %v, %v", err, fs, ok)
	}
	// A load error of another kind is not a finding.
	dir := t.TempDir()
	spec := filepath.Join(dir, "ttl.yaml")
	doc := "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    post:\n      X-Idempotent: true\n      x-idempotent: {ttl: 5}\n      responses: {\"200\": {description: ok}}\n"
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = load.Load(context.Background(), spec, load.Options{})
	if fs, ok := FromLoadError(err); ok {
		t.Errorf("a bad ttl beside a near miss gave findings %v", fs)
	}
}

// TestSwaggerPositions: Swagger 2.0 carries no origins through the
// converter; the method key is found in the file.
func TestSwaggerPositions(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "swagger.yaml")
	doc := "swagger: \"2.0\"\ninfo: {title: t, version: \"1\"}\npaths:\n  /a:\n    post:\n      responses: {\"200\": {description: ok}}\n"
	if err := os.WriteFile(spec, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	fs, err := Lint(context.Background(), loadSpec(t, spec, load.Options{}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := places(fs), []string{"5:5 unmarked-unsafe"}; !slices.Equal(got, want) {
		t.Errorf("Swagger 2.0: %q, want %q", got, want)
	}
}

func TestCheckOptions(t *testing.T) {
	for _, c := range []struct {
		opts Options
		want string
	}{
		{Options{Disable: []string{"unscoped-auht"}}, `unknown lint rule "unscoped-auht"`},
		{Options{Methods: []string{"GET"}}, "cannot lint GET operations"},
	} {
		if err := CheckOptions(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckOptions(%+v) = %v, want %q", c.opts, err, c.want)
		}
		if _, err := Lint(context.Background(), loadSpec(t, "testdata/clean.yaml", load.Options{}), c.opts); err == nil {
			t.Errorf("Lint(%+v) took the options", c.opts)
		}
	}
}

// TestOverlayPositions: a marker an overlay adds is reported in the
// overlay, at the line its author wrote, not in the merged document.
func TestOverlayPositions(t *testing.T) {
	overlay, err := os.ReadFile("testdata/overlay.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res := loadSpec(t, "testdata/overlay-spec.yaml", load.Options{Overlay: overlay, OverlayName: "testdata/overlay.yaml"})
	fs, err := Lint(context.Background(), res, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].String() != "testdata/overlay.yaml:8:9: wait-exceeds-ttl: "+fs[0].Msg {
		t.Errorf("findings %v, want one wait-exceeds-ttl at testdata/overlay.yaml:8:9", fs)
	}
}
