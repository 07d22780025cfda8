package augment

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
)

// op builds a marked operation; policy defaults to x-idempotent: true.
func op(method, path string, p ...model.Policy) model.Operation {
	pol := model.DefaultPolicy
	if len(p) > 0 {
		pol = p[0]
	}
	return model.Operation{Method: method, Path: path, Policy: pol}
}

func mdl(format string, ops ...model.Operation) model.Model {
	return model.Model{Source: "spec." + format, Format: format, Operations: ops}
}

func required(ttl time.Duration) model.Policy { return model.Policy{Required: true, TTL: ttl} }

// validate loads a document with kin-openapi and validates it; a Swagger
// 2.0 document is read with openapi2 and converted by openapi2conv first,
// as idemgen itself reads one.
func validate(src []byte) error {
	var top struct {
		Swagger string `yaml:"swagger"`
	}
	if err := yaml.Unmarshal(src, &top); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if top.Swagger != "" {
		var doc2 openapi2.T
		if err := openapi2.UnmarshalFromData(src, &doc2); err != nil {
			return fmt.Errorf("load: %w", err)
		}
		doc, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			return fmt.Errorf("convert: %w", err)
		}
		return doc.Validate(context.Background())
	}
	l := openapi3.NewLoader()
	doc, err := l.LoadFromData(src)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return doc.Validate(context.Background())
}

// mustAugment runs Spec and checks the invariants every output keeps: it
// validates, only adds lines, and a second run changes nothing.
func mustAugment(t *testing.T, src string, m model.Model) string {
	t.Helper()
	out, err := Spec([]byte(src), m)
	if err != nil {
		t.Fatalf("Spec: %v", err)
	}
	if err := validate(out); err != nil {
		t.Fatalf("output does not validate: %v\n%s", err, out)
	}
	if commas, grown, err := onlyAdds(src, string(out)); err != nil {
		t.Fatalf("not an addition: %v\n%s", err, out)
	} else if commas+grown > 0 {
		t.Logf("%d lines gained a comma, %d flow lines grew in place", commas, grown)
	}
	again, err := Spec(out, m)
	if err != nil {
		t.Fatalf("Spec on its output: %v", err)
	}
	if string(again) != string(out) {
		t.Fatalf("Spec is not idempotent; second run:\n%s", again)
	}
	return string(out)
}

// onlyAdds checks that every line of in appears in out, in order, either
// unchanged or changed in one of the allowed ways: a JSON line that gained
// a trailing comma, or a flow collection that grew right after its
// opening bracket (on its line, or by breaking the line there). It returns
// how many lines gained a comma and how many flow lines grew.
func onlyAdds(in, out string) (commas, grown int, err error) {
	il := strings.Split(strings.ReplaceAll(in, "\r\n", "\n"), "\n")
	ol := strings.Split(strings.ReplaceAll(out, "\r\n", "\n"), "\n")
	j := 0
	for i := 0; i < len(il); i++ {
		l := il[i]
		found := false
		for ; j < len(ol); j++ {
			o := ol[j]
			if o == l {
				found = true
				j++
				break
			}
			if o == l+"," {
				found, commas = true, commas+1
				j++
				break
			}
			if grewInLine(l, o) || becameBlock(l, o) {
				found, grown = true, grown+1
				j++
				break
			}
			if rest, ok := grewAcross(l, o); ok {
				// the rest of the line follows the inserted lines
				for k := j + 1; k < len(ol); k++ {
					if strings.TrimLeft(ol[k], " \t") == rest {
						found, grown, j = true, grown+1, k+1
						break
					}
				}
				if found {
					break
				}
			}
		}
		if !found {
			return commas, grown, fmt.Errorf("input line %d %q is missing from the output (or out of order)", i+1, l)
		}
	}
	return commas, grown, nil
}

// grewInLine: a flow collection on the line grew. New text goes in next
// to a bracket, so the line's unchanged prefix must end at or just before
// a bracket, and
// l must be a subsequence of o (greedy matching decides that in linear
// time; it cannot tell where the new text went, which the unit tests
// check by content).
func grewInLine(l, o string) bool {
	if len(o) <= len(l) || indent(o) != indent(l) {
		return false
	}
	p := 0
	for p < len(l) && l[p] == o[p] {
		p++
	}
	atBracket := p > 0 && strings.ContainsRune("{[]}", rune(l[p-1])) ||
		strings.IndexAny(strings.TrimLeft(l[p:], " \t"), "]}") == 0
	if !atBracket {
		return false
	}
	i := p
	for j := p; j < len(o) && i < len(l); j++ {
		if o[j] == l[i] {
			i++
		}
	}
	return i == len(l)
}

// becameBlock: an empty flow collection, the value of a block key, lost
// its brackets to become a block collection on the following lines.
func becameBlock(l, o string) bool {
	for _, pair := range []string{" {}", " []"} {
		if i := strings.Index(l, ":"+pair); i >= 0 && o == l[:i+1]+l[i+1+len(pair):] {
			return true
		}
	}
	return false
}

func indent(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// grewAcross: o is l cut right after a bracket; the rest comes later.
func grewAcross(l, o string) (string, bool) {
	if len(o) == 0 || len(o) >= len(l) || !strings.HasPrefix(l, o) {
		return "", false
	}
	if c := o[len(o)-1]; c != '{' && c != '[' {
		return "", false
	}
	return strings.TrimLeft(l[len(o):], " \t"), true
}

func TestOnlyAddsCatchesChanges(t *testing.T) {
	in := "a: 1\nb: 2\nc: [x]\n"
	for _, bad := range []string{"a: 1\nc: [x]\n", "a: 1\nb: 3\nc: [x]\n", "b: 2\na: 1\nc: [x]\n", "a: 1\nb: 2\nc: [y]\n"} {
		if _, _, err := onlyAdds(in, bad); err == nil {
			t.Errorf("onlyAdds accepted %q", bad)
		}
	}
	for _, good := range []string{"a: 1\nnew: 0\nb: 2\nc: [x]\n", "a: 1\nb: 2\nc: [z, x]\n"} {
		if _, _, err := onlyAdds(in, good); err != nil {
			t.Errorf("onlyAdds refused %q: %v", good, err)
		}
	}
	if _, n, err := onlyAdds(`{"a": {}}`, "{\"a\": {\n  \"k\": 1\n}}"); err != nil || n != 1 {
		t.Errorf("growing an empty JSON object: n=%d err=%v", n, err)
	}
}
