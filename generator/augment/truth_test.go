package augment

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/internal/testcases"
)

// TestContractIsTruthful checks the augmented spec against the runtime's
// behaviour, operation by operation, for every good spec of
// testdata/specs and every corpus document: the key parameter is required
// exactly when the policy requires the key and its text names the
// operation's TTL, wait and scope headers; the 400 documents key_missing
// only where the key is required; the replay headers stand only on
// responses the runtime can replay (not 1xx, not 5xx unless
// storeServerErrors, never the runtime's own problem responses); the 413
// states the operation's own body limit.
func TestContractIsTruthful(t *testing.T) {
	ctx := context.Background()
	specs, err := filepath.Glob("../../testdata/specs/*")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, dir := range specs {
		name := filepath.Base(dir)
		if strings.HasPrefix(name, "bad_") {
			continue
		}
		entry, opts := specCase(t, dir)
		r, err := load.Load(ctx, entry, opts)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checked += checkTruth(t, name, r)
	}
	if !testing.Short() && !raceEnabled {
		for _, doc := range corpusDocs(t) {
			r, err := load.Load(ctx, doc.Spec, load.Options{MarkMethods: []string{"POST", "PATCH"}})
			if err != nil {
				continue // TestCorpus reports what does not load
			}
			checked += checkTruth(t, "corpus "+doc.Name, r)
		}
	}
	if checked == 0 {
		t.Fatal("no operation checked")
	}
	t.Logf("%d operations checked", checked)
}

// raceEnabled is set in -race builds (race_test.go).
var raceEnabled bool

// corpusDocs lists the corpus, or nothing when there is none (instead of
// skipping the whole test).
func corpusDocs(t *testing.T) []testcases.Doc {
	if _, err := os.Stat("../../../shared/corpus/specs"); err != nil {
		t.Log("no corpus at ../shared/corpus/specs; only testdata/specs checked")
		return nil
	}
	return testcases.Corpus(t)
}

// specCase finds a testdata/specs case's entry file and the load options
// its options.json asks for.
func specCase(t *testing.T, dir string) (string, load.Options) {
	t.Helper()
	var co struct {
		MarkMethods []string `json:"markMethods"`
		Overlay     string   `json:"overlay"`
	}
	if data, err := os.ReadFile(filepath.Join(dir, "options.json")); err == nil {
		if err := json.Unmarshal(data, &co); err != nil {
			t.Fatalf("%s/options.json: %v", dir, err)
		}
	}
	opts := load.Options{MarkMethods: co.MarkMethods}
	if co.Overlay != "" {
		data, err := os.ReadFile(filepath.Join(dir, co.Overlay))
		if err != nil {
			t.Fatal(err)
		}
		opts.Overlay, opts.OverlayName = data, co.Overlay
	}
	for _, e := range []string{"openapi.yaml", "openapi.yml", "openapi.json"} {
		if _, err := os.Stat(filepath.Join(dir, e)); err == nil {
			return filepath.Join(dir, e), opts
		}
	}
	t.Fatalf("%s: no openapi.yaml, .yml or .json", dir)
	return "", opts
}

// checkTruth augments one loaded document and checks each operation; it
// returns how many operations it checked.
func checkTruth(t *testing.T, name string, r *load.Result) int {
	t.Helper()
	res, err := Augment(r.Root, r.Model)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return 0
	}
	out := res.Spec
	var in, doc any
	if err := yaml.Unmarshal(r.Root, &in); err != nil {
		t.Fatalf("%s: input: %v", name, err)
	}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("%s: output: %v", name, err)
	}
	swagger := get(doc, "swagger") != nil
	n := 0
	for _, op := range r.Model.Operations {
		o := get(doc, "paths", op.Path, strings.ToLower(op.Method))
		if o == nil || get(doc, "paths", op.Path, "$ref") != nil {
			continue // not in this file: warned, nothing added
		}
		n++
		where := name + ": " + op.Route()
		authors := get(in, "paths", op.Path, strings.ToLower(op.Method), "responses")
		if op.Policy.Key.InBody {
			checkBodyKey(t, where, in, doc, o, op, res.Warnings)
		} else {
			checkKeyParameter(t, where, doc, o, op)
		}
		responses, _ := get(o, "responses").(map[string]any)
		for status, resp := range responses {
			// The runtime's own problem responses are never replayed;
			// the author's, whatever their status, are what the handler
			// sends.
			problem := isProblemStatus(status) && get(authors, status) == nil
			ref, _ := get(resp, "$ref").(string)
			resp = resolve(doc, resp)
			hdrs, _ := get(resp, "headers").(map[string]any)
			for _, h := range []string{contract.HeaderReplayed, contract.HeaderReplay, contract.HeaderKey, contract.HeaderStripeReplayed} {
				has := hasKey(hdrs, h)
				want := !problem && runtimeStores(status, op.Policy)
				// Stripe's dialect: only where the policy sends it (a
				// response shared with operations that do not is left
				// without, and warned about: ref != "" below).
				switch h {
				case contract.HeaderKey:
					want = want && op.Policy.EchoKey
				case contract.HeaderStripeReplayed:
					want = want && op.Policy.StripeReplayed
				}
				if has && !want && (h == contract.HeaderKey || h == contract.HeaderStripeReplayed) {
					own, _ := get(resolve(in, get(authors, status)), "headers").(map[string]any)
					if ref != "" || hasKey(own, h) {
						// The author's own header, or a shared response
						// that every operation referencing it sends it on
						// (another reference checks it).
						continue
					}
				}
				switch {
				case has && !want:
					t.Errorf("%s: response %s documents %s, which the runtime does not send on it", where, status, h)
				case !has && want && ref == "":
					t.Errorf("%s: response %s can be replayed but does not document %s", where, status, h)
				}
			}
			if !problem {
				continue
			}
			switch status {
			case "400":
				checkBadRequest(t, where, resp, op.Policy, swagger)
			case "413":
				limit := op.Policy.MaxRequestBytes
				if limit == 0 {
					limit = 1 << 20
				}
				desc, _ := get(resp, "description").(string)
				if !strings.Contains(desc, strconv.FormatInt(limit, 10)+" bytes") {
					t.Errorf("%s: the 413 does not state the limit of %d bytes: %q", where, limit, desc)
				}
			}
		}
	}
	return n
}

// checkKeyParameter: the key parameter idemgen adds is required as the
// policy says, and its text states the operation's own TTL, wait and
// scope headers.
func checkKeyParameter(t *testing.T, where string, doc, o any, op model.Operation) {
	t.Helper()
	if op.DeclaresKeyHeader {
		return // the author's own parameter stays as written
	}
	var key any
	for _, p := range append(list(get(o, "parameters")), list(get(doc, "paths", op.Path, "parameters"))...) {
		p = resolve(doc, p)
		if strings.EqualFold(fmt.Sprint(get(p, "name")), contract.HeaderKey) && get(p, "in") == "header" {
			key = p
			break
		}
	}
	if key == nil {
		t.Errorf("%s: no %s parameter", where, contract.HeaderKey)
		return
	}
	if req, _ := get(key, "required").(bool); req != op.Policy.Required {
		t.Errorf("%s: the key parameter says required: %v, the policy %v", where, req, op.Policy.Required)
	}
	desc, _ := get(key, "description").(string)
	facts := []string{model.FormatDuration(op.Policy.TTL)}
	if op.Policy.Wait > 0 {
		facts = append(facts, model.FormatDuration(op.Policy.Wait))
	}
	facts = append(facts, op.Policy.ScopeHeaders...)
	if len(op.Policy.ScopeHeaders) == 0 {
		facts = append(facts, "shared between callers")
	}
	for _, f := range facts {
		if !strings.Contains(desc, f) {
			t.Errorf("%s: the key parameter's description lacks %q: %q", where, f, desc)
		}
	}
}

// checkBodyKey: an operation that takes its key from the body has no key
// header parameter (unless its author declared one), and each JSON or form
// body schema either declares the key's property, required as the policy
// says where idemgen added it, or a warning names the operation.
func checkBodyKey(t *testing.T, where string, in, doc, o any, op model.Operation, warnings []string) {
	t.Helper()
	route := op.Route()
	if !op.DeclaresKeyHeader {
		for _, p := range append(list(get(o, "parameters")), list(get(doc, "paths", op.Path, "parameters"))...) {
			if p = resolve(doc, p); strings.EqualFold(fmt.Sprint(get(p, "name")), contract.HeaderKey) {
				t.Errorf("%s: takes its key from the body but documents a %s parameter", where, contract.HeaderKey)
			}
		}
	}
	warned := slices.ContainsFunc(warnings, func(w string) bool { return strings.HasPrefix(w, route+":") })
	tokens := strings.Split(strings.TrimPrefix(op.Policy.Key.Pointer, "/"), "/")
	content, _ := get(resolve(doc, get(o, "requestBody")), "content").(map[string]any)
	for mt, media := range content {
		path := tokens
		switch {
		case strings.HasPrefix(mt, "application/x-www-form-urlencoded"):
			path = tokens[len(tokens)-1:]
		case strings.Contains(mt, "json"):
		default:
			continue
		}
		schema, parent := resolve(doc, get(media, "schema")), any(nil)
		for _, tok := range path {
			parent, schema = schema, resolve(doc, get(schema, "properties", tok))
		}
		if schema == nil {
			if !warned {
				t.Errorf("%s: the %s body does not document the key at %s, and no warning says so", where, mt, op.Policy.Key.Pointer)
			}
			continue
		}
		authors := get(in, "paths", op.Path, strings.ToLower(op.Method), "requestBody", "content", mt, "schema")
		for _, tok := range path {
			authors = resolve(in, get(resolve(in, authors), "properties", tok))
		}
		if authors != nil {
			continue // the author's property stays as written
		}
		req := slices.Contains(list(get(parent, "required")), any(path[len(path)-1]))
		if req != op.Policy.Required || get(schema, "type") != "string" {
			t.Errorf("%s: the key property added to the %s body says required: %v, type %v; the policy requires the key: %v", where, mt, req, get(schema, "type"), op.Policy.Required)
		}
	}
}

// checkBadRequest: key_missing is documented exactly where the key is
// required; key_invalid always (Swagger 2.0 keeps one example).
func checkBadRequest(t *testing.T, where string, resp any, p model.Policy, swagger bool) {
	t.Helper()
	var codes []string
	if swagger {
		codes = append(codes, fmt.Sprint(get(resp, "examples", contract.ProblemContentType, "code")))
	} else {
		exs, _ := get(resp, "content", contract.ProblemContentType, "examples").(map[string]any)
		for _, ex := range exs {
			codes = append(codes, fmt.Sprint(get(ex, "value", "code")))
		}
	}
	if missing := slices.Contains(codes, contract.CodeKeyMissing); missing != p.Required {
		t.Errorf("%s: the 400 documents %s: %v, but the key is required: %v (codes %v)", where, contract.CodeKeyMissing, missing, p.Required, codes)
	}
	if !swagger && !slices.Contains(codes, contract.CodeKeyInvalid) {
		t.Errorf("%s: the 400 does not document %s (codes %v)", where, contract.CodeKeyInvalid, codes)
	}
}

// runtimeStores reports whether the runtime stores, and so can replay, a
// response of this status (a key of responses: "201", "2XX", "default"),
// as runtime/idempotency decides it: 1xx are not final; 5xx are released
// unless storeServerErrors; a `default` can be a 4xx, which is stored. It
// is written apart from the code under test on purpose.
func runtimeStores(status string, p model.Policy) bool {
	switch c := strings.ToUpper(status); {
	case c == "DEFAULT":
		return true
	case strings.HasPrefix(c, "1"):
		return false
	case strings.HasPrefix(c, "5"):
		return p.StoreServerErrors
	}
	return true
}

func isProblemStatus(s string) bool {
	return slices.Contains([]string{"400", "409", "413", "422", "503"}, s)
}

// get walks maps by keys; nil when a step is missing.
func get(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func list(v any) []any { l, _ := v.([]any); return l }

func hasKey(m map[string]any, k string) bool {
	for h := range m {
		if strings.EqualFold(h, k) {
			return true
		}
	}
	return false
}

// resolve follows local $refs.
func resolve(doc, v any) any {
	for range 10 {
		ref, ok := get(v, "$ref").(string)
		if !ok || !strings.HasPrefix(ref, "#/") {
			return v
		}
		var keys []string
		for _, k := range strings.Split(ref[2:], "/") {
			keys = append(keys, strings.ReplaceAll(strings.ReplaceAll(k, "~1", "/"), "~0", "~"))
		}
		v = get(doc, keys...)
	}
	return v
}
