package e2e

import (
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// codegenMu serialises pkg/codegen, whose state is package-level.
var codegenMu sync.Mutex

// oapiCodegen runs oapi-codegen in process, as `oapi-codegen -config` would
// with cfg and the given targets, formatted as it ships. It mutates doc.
func oapiCodegen(doc *openapi3.T, pkg string, gen codegen.GenerateOptions, cfg codegen.Configuration) (src []byte, err error) {
	cfg.PackageName = pkg
	cfg.Generate = gen
	codegenMu.Lock()
	defer codegenMu.Unlock()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("oapi-codegen panicked: %v", p)
		}
	}()
	out, err := codegen.Generate(doc, cfg)
	if err != nil {
		return nil, err
	}
	return []byte(out), nil
}
