package main

import (
	"context"
	"testing"

	"github.com/idemgen/idemgen/generator"
)

// TestGeneratedFilesUpToDate is `idemgen -check`: the committed outputs are
// what go generate would write now.
func TestGeneratedFilesUpToDate(t *testing.T) {
	err := generator.Run(context.Background(), generator.Options{
		Spec:       "openapi.yaml",
		OapiConfig: "oapi-codegen.yaml",
		Package:    "main",
		Check:      true,
	})
	if err != nil {
		t.Fatalf("the committed files differ from idemgen's output (run go generate ./examples/payments):\n%v", err)
	}
}
