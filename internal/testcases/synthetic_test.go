package testcases

import (
	"bytes"
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// SyntheticSpec is a valid document of the size asked for, the same each
// time, with every POST marked.
func TestSyntheticSpec(t *testing.T) {
	const ops = 100
	src := SyntheticSpec(ops)
	if !bytes.Equal(src, SyntheticSpec(ops)) {
		t.Fatal("two calls gave different documents")
	}
	doc, err := openapi3.NewLoader().LoadFromData(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("not a valid OpenAPI document: %v", err)
	}
	var total, posts, marked, objects int
	for _, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			total++
			if method != "POST" {
				if _, ok := op.Extensions["x-idempotent"]; ok {
					t.Errorf("%s %s is marked", method, op.OperationID)
				}
				continue
			}
			posts++
			switch v := op.Extensions["x-idempotent"].(type) {
			case bool:
				marked++
			case map[string]any:
				marked++
				objects++
				if v["ttl"] != "24h" {
					t.Errorf("%s: policy %v", op.OperationID, v)
				}
			}
			if op.RequestBody == nil || op.RequestBody.Value.Content["application/json"].Schema.Ref == "" {
				t.Errorf("%s: no $ref'd request body", op.OperationID)
			}
		}
	}
	if total != ops || posts != 2*ops/5 || marked != posts || objects != ops/5/5 {
		t.Errorf("%d operations (want %d), %d POST, %d marked, %d with a policy object", total, ops, posts, marked, objects)
	}
}
