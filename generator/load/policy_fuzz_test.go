package load

import (
	"encoding/json"
	"testing"

	"go.yaml.in/yaml/v4"
)

// FuzzDecodePolicy feeds arbitrary marker values, as YAML and as JSON
// decodes them, to the decoder: it must never panic, and whatever it
// accepts must be a usable policy.
func FuzzDecodePolicy(f *testing.F) {
	for _, seed := range []string{
		"true", "false", "null", "86400", `"48h"`, "[1, 2]",
		"{required: true, ttl: 48h}",
		"{ttl: 86400}", "{ttl: -1h}", "{ttl: 0s}", "{colour: blue}",
		"{scopeHeaders: [Authorization, X-Tenant], storeServerErrors: true}",
		"{scopeHeaders: [a, A, 'b c', 3]}",
		"{maxRequestBytes: 1048576, maxResponseBytes: 1.5, wait: 2s}",
		"{maxRequestBytes: 9223372036854775807}", "{maxRequestBytes: 1e300}", "{wait: -1ns}",
		`{"required": "yes", "ttl": null}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var values []any
		var y any
		if yaml.Unmarshal(data, &y) == nil {
			values = append(values, y)
		}
		var j any
		if json.Unmarshal(data, &j) == nil {
			values = append(values, j)
		}
		for _, v := range values {
			p, ok, problems := decodePolicy(v)
			if ok != (len(problems) == 0 && v != false) {
				t.Fatalf("decodePolicy(%#v): ok=%v with %d problems", v, ok, len(problems))
			}
			if !ok {
				continue
			}
			if p.TTL <= 0 || p.Wait < 0 || p.MaxRequestBytes < 0 || p.MaxResponseBytes < 0 {
				t.Fatalf("decodePolicy(%#v) accepted an unusable policy %+v", v, p)
			}
			for _, h := range p.ScopeHeaders {
				if !isToken(h) {
					t.Fatalf("decodePolicy(%#v) accepted header %q", v, h)
				}
			}
		}
	})
}
