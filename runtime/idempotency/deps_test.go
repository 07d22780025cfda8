package idempotency_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The package promises the standard library only: an application that
// imports it pulls in no other module. Its own internal helpers are allowed
// as long as they keep the same promise, which this checks transitively.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	allowed := map[string]bool{
		"github.com/idemgen/idemgen/runtime/idempotency": true,
		"github.com/idemgen/idemgen/internal/contract":   true,
		"github.com/idemgen/idemgen/internal/seedheader": true,
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("runtime/idempotency depends on %s, which is not the standard library", p)
		}
	}
}
