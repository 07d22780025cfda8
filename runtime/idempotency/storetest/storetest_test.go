package storetest_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

const flawEnv = "STORETEST_FLAW"

// TestReferenceStore runs the suite on refStore, correct unless the flaw
// variable names a flaw (set by TestSuiteCatchesFlaws in a child process).
func TestReferenceStore(t *testing.T) {
	flaw := os.Getenv(flawEnv)
	opts := storetest.Options{Rounds: 200}
	if flaw != "" {
		opts.Patience = 2 * time.Second // a flawed store times out sooner
	}
	storetest.RunWith(t, opts, func(t *testing.T) idempotency.ClaimStore {
		return newRefStore(flaw)
	})
}

// TestSuiteCatchesFlaws runs the check that should notice each flaw in a
// child process and expects that check, by name, to fail.
func TestSuiteCatchesFlaws(t *testing.T) {
	if os.Getenv(flawEnv) != "" {
		t.Skip("inside a child process")
	}
	for flaw, check := range map[string]string{
		"nofence":    "WrongToken",
		"notakeover": "LeaseTakeover",
		"onevalue":   "RoundTrip",
		"toctou":     "OneWinnerRace",
		"noexpiry":   "RecordExpiry",
		"norenew":    "RenewKeepsOwner",
		"ignorectx":  "CancelledContext",
		"stalefence": "FenceGrows",
	} {
		t.Run(flaw, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestReferenceStore$/^"+check+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), flawEnv+"="+flaw)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a store with flaw %q; output:\n%s", flaw, out)
			}
			if want := "--- FAIL: TestReferenceStore/" + check; !strings.Contains(string(out), want) {
				t.Fatalf("flaw %q: output lacks %q:\n%s", flaw, want, out)
			}
		})
	}
}
