//go:build unix

package load

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestRefToFIFO: a named pipe inside the spec's folder is refused without
// being opened, which would block until something wrote to it.
func TestRefToFIFO(t *testing.T) {
	spec, tmp := tree(t, "pipe.yaml#/Payment")
	if err := syscall.Mkfifo(filepath.Join(filepath.Dir(spec), "pipe.yaml"), 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	got := mustFail(t, spec, tmp, Options{})
	if want := `spec/spec.yaml:10:28: $ref "pipe.yaml#/Payment": cannot read spec/pipe.yaml: a named pipe, not a regular file`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
