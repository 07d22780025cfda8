package augment

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestBlockEnds: entries appended to block collections land after the
// collection's last line, including block scalars whose lines look like
// comments or end in kept blank lines, and before the comments that lead
// to the next key.
func TestBlockEnds(t *testing.T) {
	src := `openapi: 3.0.0
info:
  title: t
  version: '1'
  description: |+
    # not a comment: a Markdown heading inside a block scalar
    text


paths:
  /a:
    post:
      parameters:
        -
          name: q
          in: query
          schema:
            type: string
      responses:
        '200':
          description: |
            # also a heading
            done

  # comment about /b, which stays above /b
  /b:
    post:
      responses:
        default:
          description: >-
            folded
            text
# a trailing comment at the end of the file`
	m := mdl("yaml", op("POST", "/a"), op("POST", "/b"))
	out := mustAugment(t, src, m)
	for _, want := range []string{
		"            # also a heading\n            done\n          headers:\n",
		"          schema:\n            type: string\n        - $ref: '#/components/parameters/IdempotencyKey'\n      responses:\n",
		"IdempotencyStoreUnavailable'\n\n  # comment about /b, which stays above /b\n  /b:\n",
		"            text\n          headers:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\n# a trailing comment at the end of the file") {
		t.Errorf("the final comment moved or gained a line break:\n%s", out)
	}
	// Every scalar of the input reads the same in the output.
	var in, got map[string]any
	if err := yaml.Unmarshal([]byte(src), &in); err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !sameValue(in["info"], got["info"]) {
		t.Errorf("info changed: %q", got["info"])
	}
	resp := func(d map[string]any, p string) any {
		return d["paths"].(map[string]any)[p].(map[string]any)["post"].(map[string]any)["responses"]
	}
	for _, p := range []string{"/a", "/b"} {
		for code, r := range resp(in, p).(map[string]any) {
			g := resp(got, p).(map[string]any)[code].(map[string]any)
			if g["description"] != r.(map[string]any)["description"] {
				t.Errorf("%s %s description changed: %q", p, code, g["description"])
			}
		}
	}
}

func TestEmptyFlowBecomesBlock(t *testing.T) {
	src := "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      parameters: []\n      responses:\n        '200': {description: ok, headers: {}}\ncomponents:\n  schemas: {}   # nothing yet\n"
	out := mustAugment(t, src, mdl("yaml", op("POST", "/a")))
	for _, want := range []string{
		"      parameters:\n        - $ref: '#/components/parameters/IdempotencyKey'\n      responses:\n",
		"'200': {description: ok, headers: {Idempotency-Replayed: {$ref: '#/components/headers/IdempotencyReplayed'}, Idempotency-Replay: {$ref: '#/components/headers/IdempotencyReplay'}}}\n",
		"components:\n  schemas:   # nothing yet\n    Problem:\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
