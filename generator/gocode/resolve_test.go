package gocode

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// TestResolveMatchesServerInterface compares every resolved operation with
// the method oapi-codegen itself declares, for several configurations.
func TestResolveMatchesServerInterface(t *testing.T) {
	configs := map[string]string{
		"defaults":    "",
		"initialisms": "output-options:\n  name-normalizer: ToCamelCaseWithInitialisms\n  additional-initialisms: [ID]\n",
		"digits":      "output-options:\n  name-normalizer: ToCamelCaseWithDigits\n",
		// Resolve then primes codegen with the real document.
		"collisions": "output-options:\n  resolve-type-name-collisions: true\n",
		"typemap":    typeMapConfig,
	}
	for name, text := range configs {
		t.Run(name, func(t *testing.T) {
			cfg := Config{}
			if text != "" {
				var err error
				if cfg, err = parseConfig([]byte(text)); err != nil {
					t.Fatal(err)
				}
			}
			spec := filepath.Join("testdata", "names.yaml")
			doc := loadDoc(t, spec)
			m := markAll(doc, spec)
			got, warnings, err := Resolve(doc, cfg, m)
			if err != nil {
				t.Fatal(err)
			}
			// The one warning is the path alias, served by its target's method.
			if len(warnings) != 1 || !strings.Contains(warnings[0], "POST /alias-of-payments") {
				t.Errorf("warnings: %q", warnings)
			}
			want := serverInterface(t, loadDoc(t, spec), cfg)
			if len(got.Operations) != len(m.Operations) {
				t.Fatalf("got %d operations, want %d", len(got.Operations), len(m.Operations))
			}
			for _, op := range got.Operations {
				if op.GoName == "" {
					if op.Path != "/alias-of-payments" {
						t.Errorf("%s has no Go name", op.Route())
					}
					continue
				}
				args, ok := want[op.GoName]
				if !ok {
					t.Errorf("%s: Go name %q is not a ServerInterface method (have %v)", op.Route(), op.GoName, keys(want))
					continue
				}
				if a := argStrings(op.GoParams); !slices.Equal(a, args) {
					t.Errorf("%s: params %q, oapi-codegen has %q", op.Route(), a, args)
				}
			}
		})
	}
}

// TestResolveNames pins the names the issue lists, so that a change in
// oapi-codegen's naming shows up here in plain words.
func TestResolveNames(t *testing.T) {
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	got, _, err := Resolve(doc, Config{}, markAll(doc, spec))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"POST /payments":                "CreatePayment()",
		"POST /payments/{id}/refunds":   "RefundPayment(id openapi_types.UUID, params RefundPaymentParams)",
		"PUT /things/{n}":               "N1stThing(n int64)",
		"POST /things.v2":               "ThingsV2Create()",
		"POST /events/{at}/{name}":      "PostEventsAtName(at time.Time, name string)",
		"DELETE /api/http-status/{day}": "DeleteHttpStatus(day openapi_types.Date)",
		"POST /widgets/{kind}":          "CreateWidget(kind string)",
		"PATCH /gadgets/{kind}":         "PatchGadget(kind string, params PatchGadgetParams)",
		"POST /refs/{ref}":              "PostRef(reference Ref)",
		"POST /alias-of-payments":       "()", // served by CreatePayment
		"POST /hosts/{addr}/{mask}":     "BlockHost(addr netip.Addr, mask string)",
	}
	for _, op := range got.Operations {
		sig := op.GoName + "(" + strings.Join(argStrings(op.GoParams), ", ") + ")"
		if sig != want[op.Route()] {
			t.Errorf("%s: got %s, want %s", op.Route(), sig, want[op.Route()])
		}
	}
	for _, op := range got.Operations {
		if op.GoName == "BlockHost" && op.GoParams[0].Import != `"net/netip"` {
			t.Errorf("BlockHost addr import %q, want the x-go-type-import", op.GoParams[0].Import)
		}
	}
	// The document keeps its operationIds as written.
	if id := doc.Paths.Value("/payments/{id}/refunds").Post.OperationID; id != "refund-payment" {
		t.Errorf("Resolve rewrote operationId to %q", id)
	}
}

func TestResolveFilters(t *testing.T) {
	cases := map[string]struct {
		config  string
		dropped []string
	}{
		"exclude-tags":          {"output-options:\n  exclude-tags: [things]\n", []string{"PUT /things/{n}", "POST /things.v2", "DELETE /api/http-status/{day}", "POST /widgets/{kind}", "PATCH /gadgets/{kind}", "POST /refs/{ref}", "POST /hosts/{addr}/{mask}"}},
		"include-tags":          {"output-options:\n  include-tags: [payments, refunds]\n", []string{"PUT /things/{n}", "POST /things.v2", "DELETE /api/http-status/{day}", "POST /events/{at}/{name}", "POST /widgets/{kind}", "PATCH /gadgets/{kind}", "POST /refs/{ref}", "POST /hosts/{addr}/{mask}"}},
		"exclude-operation-ids": {"output-options:\n  exclude-operation-ids: [refund-payment]\n", []string{"POST /payments/{id}/refunds"}},
		"include-operation-ids": {"output-options:\n  include-operation-ids: [createPayment, getPayment]\n", []string{"POST /payments/{id}/refunds", "PUT /things/{n}", "POST /things.v2", "DELETE /api/http-status/{day}", "POST /events/{at}/{name}", "POST /widgets/{kind}", "PATCH /gadgets/{kind}", "POST /refs/{ref}", "POST /hosts/{addr}/{mask}"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := parseConfig([]byte(c.config))
			if err != nil {
				t.Fatal(err)
			}
			spec := filepath.Join("testdata", "names.yaml")
			doc := loadDoc(t, spec)
			got, warnings, err := Resolve(doc, cfg, markAll(doc, spec))
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, op := range got.Operations {
				kept = append(kept, op.Route())
			}
			for _, d := range c.dropped {
				if slices.Contains(kept, d) {
					t.Errorf("%s kept", d)
				}
				if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, d) && strings.Contains(w, name) }) {
					t.Errorf("no warning naming %s and %s in %q", d, name, warnings)
				}
			}
			if len(kept)+len(c.dropped) != len(markAll(loadDoc(t, spec), spec).Operations) {
				t.Errorf("kept %v", kept)
			}
			// What is kept still matches oapi-codegen under the same filters.
			want := serverInterface(t, loadDoc(t, spec), cfg)
			for _, op := range got.Operations {
				if _, ok := want[op.GoName]; !ok && op.GoName != "" {
					t.Errorf("%s: %s not in oapi-codegen's filtered ServerInterface", op.Route(), op.GoName)
				}
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.yaml", "package: api\noutput: api.gen.go\ngenerate:\n  std-http-server: true\n  models: true\noutput-options:\n  name-normalizer: ToCamelCaseWithInitialisms\n  additional-initialisms: [ACME]\n  exclude-tags: [internal]\n")
	cfg, err := LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PackageName != "api" || cfg.Output != "api.gen.go" || !cfg.Generate.StdHTTPServer ||
		cfg.OutputOptions.NameNormalizer != "ToCamelCaseWithInitialisms" ||
		!slices.Equal(cfg.OutputOptions.AdditionalInitialisms, []string{"ACME"}) ||
		!slices.Equal(cfg.OutputOptions.ExcludeTags, []string{"internal"}) || cfg.Path != good {
		t.Errorf("LoadConfig(%s) = %+v", good, cfg)
	}
	if cfg, err := LoadConfig(""); err != nil || cfg.PackageName != "" {
		t.Errorf(`LoadConfig("") = %+v, %v`, cfg, err)
	}
	bad := map[string]string{
		"typo.yaml":        "package: api\noutput-options:\n  name-normaliser: ToCamelCase\n",
		"normalizer.yaml":  "output-options:\n  name-normalizer: Shouty\n",
		"initialisms.yaml": "output-options:\n  additional-initialisms: [ACME]\n",
		"notyaml.yaml":     "package: [\n",
	}
	for name, text := range bad {
		p := write(name, text)
		_, err := LoadConfig(p)
		if err == nil || !strings.HasPrefix(err.Error(), p+": ") {
			t.Errorf("LoadConfig(%s) error %v, want one starting with the path", name, err)
		}
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Errorf("missing file: %v", err)
	}
}

func keys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// TestResolveInitialisms checks that the user's name normaliser reaches
// codegen's package state, which OperationDefinitions alone never sets.
func TestResolveInitialisms(t *testing.T) {
	cfg, err := parseConfig([]byte("output-options:\n  name-normalizer: ToCamelCaseWithInitialisms\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	got, _, err := Resolve(doc, cfg, markAll(doc, spec))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range got.Operations {
		if op.Path == "/api/http-status/{day}" && op.GoName != "DeleteHTTPStatus" {
			t.Errorf("got %s, want DeleteHTTPStatus", op.GoName)
		}
	}
	// And the next call with the defaults does not inherit it.
	doc = loadDoc(t, spec)
	got, _, err = Resolve(doc, Config{}, markAll(doc, spec))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range got.Operations {
		if op.Path == "/api/http-status/{day}" && op.GoName != "DeleteHttpStatus" {
			t.Errorf("got %s, want DeleteHttpStatus", op.GoName)
		}
	}
}

func TestResolveErrors(t *testing.T) {
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	m := markAll(doc, spec)
	if _, _, err := Resolve(nil, Config{}, m); err == nil || !strings.Contains(err.Error(), "no document") {
		t.Errorf("nil document: %v", err)
	}
	ghost := m
	ghost.Operations = append([]model.Operation{{Method: "POST", Path: "/ghost", Origin: model.Origin{File: spec, Line: 9, Column: 3}}}, m.Operations...)
	if _, _, err := Resolve(doc, Config{}, ghost); err == nil || !strings.HasPrefix(err.Error(), spec+":9:3: POST /ghost:") {
		t.Errorf("operation missing from the document: %v", err)
	}
	var cfg Config
	cfg.Path = "oapi.yaml"
	cfg.OutputOptions.NameNormalizer = "Shouty"
	if _, _, err := Resolve(loadDoc(t, spec), cfg, m); err == nil || !strings.HasPrefix(err.Error(), "oapi.yaml: output-options.name-normalizer") {
		t.Errorf("bad name normaliser: %v", err)
	}
	// A document oapi-codegen cannot describe fails with its reason.
	broken := loadDoc(t, spec)
	broken.Paths.Value("/things/{n}").Put.Parameters = nil
	if _, _, err := Resolve(broken, Config{}, m); err == nil || !strings.Contains(err.Error(), "oapi-codegen") {
		t.Errorf("path parameter not declared: %v", err)
	}
}

const typeMapConfig = "output-options:\n  type-mapping:\n    integer:\n      formats:\n        int64: {type: int}\n    string:\n      formats:\n        ipmask: {type: netip.Prefix, import: net/netip}\n"

func TestResolveTypeMappingImport(t *testing.T) {
	cfg, err := parseConfig([]byte(typeMapConfig))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join("testdata", "names.yaml")
	doc := loadDoc(t, spec)
	got, _, err := Resolve(doc, cfg, markAll(doc, spec))
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range got.Operations {
		if op.GoName == "BlockHost" {
			if p := op.GoParams[1]; p.Type != "netip.Prefix" || p.Import != `"net/netip"` {
				t.Errorf("mask: %+v, want netip.Prefix imported from net/netip", p)
			}
		}
	}
}

func TestParamImport(t *testing.T) {
	mapping := &codegen.TypeMapping{String: codegen.FormatMapping{Formats: map[string]codegen.SimpleTypeSpec{
		"money": {Type: "dec.Decimal", Import: "github.com/shopspring/decimal"},
		"v2":    {Type: "yaml.Node", Import: "go.yaml.in/yaml/v3"},
	}}}
	cases := map[string]string{
		"dec.Decimal":        `dec "github.com/shopspring/decimal"`,
		"yaml.Node":          `"go.yaml.in/yaml/v3"`,
		"openapi_types.UUID": "",
		"int64":              "",
		"other.Thing":        "",
	}
	for typ, want := range cases {
		if got := paramImport(typ, codegen.ParameterDefinition{}, mapping); got != want {
			t.Errorf("paramImport(%s) = %q, want %q", typ, got, want)
		}
	}
}

// TestResolveConcurrent: codegen's package state is shared, so concurrent
// calls with different name normalisers must not see each other's.
func TestResolveConcurrent(t *testing.T) {
	initialisms, err := parseConfig([]byte("output-options:\n  name-normalizer: ToCamelCaseWithInitialisms\n"))
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join("testdata", "names.yaml")
	docs := make([]*openapi3.T, 8)
	for i := range docs {
		docs[i] = loadDoc(t, spec)
	}
	m := markAll(docs[0], spec)
	var wg sync.WaitGroup
	for i, doc := range docs {
		cfg, want := Config{}, "DeleteHttpStatus"
		if i%2 == 1 {
			cfg, want = initialisms, "DeleteHTTPStatus"
		}
		wg.Go(func() {
			got, _, err := Resolve(doc, cfg, m)
			if err != nil {
				t.Error(err)
				return
			}
			for _, op := range got.Operations {
				if op.Path == "/api/http-status/{day}" && op.GoName != want {
					t.Errorf("got %s, want %s", op.GoName, want)
				}
			}
		})
	}
	wg.Wait()
}
