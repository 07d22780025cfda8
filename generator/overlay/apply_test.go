package overlay

import (
	"strings"
	"testing"
)

const spec = `openapi: 3.0.0
info: {title: t, version: "1"}
paths:
  /payments/{id}/refunds:
    post:
      # refunds
      operationId: refund
      responses:
        '200': {description: ok}
    get:
      responses:
        '200': {description: ok}
`

const mark = `overlay: 1.0.0
info:
  title: mark refunds
  version: "1"
actions:
  - target: $.paths['/payments/{id}/refunds'].post
    update:
      x-idempotent:
        required: true
        ttl: 48h
  - target: $.paths['/payments/{id}/refunds'].get
    remove: true
`

func TestApplyYAML(t *testing.T) {
	out, err := ApplyFile([]byte(spec), []byte(mark), "mark.yaml", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{"      # refunds\n", "      x-idempotent:\n        required: true\n        ttl: 48h\n", "operationId: refund"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "get:") {
		t.Errorf("remove action ignored:\n%s", s)
	}
}

func TestApplyJSON(t *testing.T) {
	src := `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {"/payments/{id}/refunds": {"post": {"responses": {"200": {"description": "ok", "x-n": 1.50}}}}}}`
	out, err := Apply([]byte(src), []byte(mark[:strings.Index(mark, "  - target: $.paths['/payments/{id}/refunds'].get")]), "json")
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "openapi": "3.0.0",
  "info": {
    "title": "t",
    "version": "1"
  },
  "paths": {
    "/payments/{id}/refunds": {
      "post": {
        "responses": {
          "200": {
            "description": "ok",
            "x-n": 1.50
          }
        },
        "x-idempotent": {
          "required": true,
          "ttl": "48h"
        }
      }
    }
  }
}
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

func TestErrorsNamePositions(t *testing.T) {
	cases := map[string]string{
		"overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.paths['/nope'].post\n    update: {x-idempotent: true}\n": "o.yaml:4:13: actions[0].target: $.paths['/nope'].post selects nothing",
		"overlay: 9.9.9\ninfo: {title: t, version: '1'}\nactions: []\n":                                                                   "o.yaml:1:10: overlay:",
		"overlay: 1.0.0\ninfo: {version: '1'}\nactions:\n  - target: $\n    update: {}\n":                                                 "o.yaml:2:7: info.title: must be set",
		"overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: []\n":                                                                   "o.yaml:3:10: actions: must list at least one action",
		"overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.paths[\n    update: {a: 1}\n":                            "o.yaml:4:13: actions[0].target: invalid JSONPath",
		"overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - update: {a: 1}\n":                                                  "o.yaml:4:5: actions[0].target: must be set",
		"overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.info\n    remove: true\n    update: {a: 1}\n":            "o.yaml:4:5: actions[0]: remove and update cannot both be set",
		"overlay: 1.0.0\ninfo: [\n": "o.yaml:2: did not find expected node content",
	}
	for doc, want := range cases {
		_, err := ApplyFile([]byte(spec), []byte(doc), "o.yaml", "yaml")
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("overlay %q:\n got  %v\n want %s…", doc, err, want)
		}
	}
	if _, err := Apply([]byte(spec), []byte(mark), "xml"); err == nil {
		t.Error("unknown format accepted")
	}
}

func TestApplyKeepsIndentation(t *testing.T) {
	src := "openapi: 3.0.0\ninfo:\n    title: t\n    version: '1'\npaths:\n    /a:\n        post:\n            responses: {'200': {description: ok}}\n"
	ov := "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.paths['/a'].post\n    update: {x-idempotent: true}\n"
	out, err := Apply([]byte(src), []byte(ov), "yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := src + "            x-idempotent: true\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}
