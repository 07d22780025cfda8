package idemclient

import (
	"os/exec"
	"strings"
	"testing"
)

// The package promises the standard library only, so that a client binary
// pulls in no other module; the contract package it shares with the
// server keeps the same promise, which this checks transitively.
func TestStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	allowed := map[string]bool{
		"github.com/idemgen/idemgen/runtime/idemclient": true,
		"github.com/idemgen/idemgen/internal/contract":  true,
	}
	for _, p := range strings.Fields(string(out)) {
		if !allowed[p] {
			t.Errorf("runtime/idemclient depends on %s, which is not the standard library", p)
		}
	}
}
