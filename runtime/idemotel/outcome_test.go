package idemotel

import (
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestEveryOutcomeClassified fails when the middleware gains an outcome
// this package has not been told about, so that it is classified (and
// counted, if terminal) before a release ships it.
func TestEveryOutcomeClassified(t *testing.T) {
	// Whether each outcome ends its request, with a status and without.
	want := map[string][2]bool{
		"acquired": {false, false}, "expired_takeover": {false, false}, "renewed": {false, false},
		"evicted":  {false, false},
		"replayed": {true, true}, "conflict": {true, true}, "mismatch": {true, true},
		"key_missing": {true, true}, "key_invalid": {true, true}, "no_key": {true, true},
		"body_too_large": {true, true}, "body_unreadable": {true, true},
		"completed": {true, true}, "not_stored": {true, true}, "abandoned": {true, true},
		"fail_open": {true, true},
		// The renewer's reports carry no status; the request's own do.
		"store_error": {true, false}, "ownership_lost": {true, false},
	}
	seen := 0
	for o := idempotency.Outcome(1); o.String() != "unknown"; o++ {
		w, ok := want[o.String()]
		if !ok {
			t.Errorf("outcome %q (%d) is not classified: add it to terminal and this table", o, o)
			continue
		}
		seen++
		if got := terminal(&idempotency.Event{Outcome: o, Status: 503}); got != w[0] {
			t.Errorf("%s with a status: terminal %v, want %v", o, got, w[0])
		}
		if got := terminal(&idempotency.Event{Outcome: o}); got != w[1] {
			t.Errorf("%s without a status: terminal %v, want %v", o, got, w[1])
		}
		if int(o) >= maxOutcomes {
			t.Errorf("outcome %s (%d) has no attribute slot: raise maxOutcomes", o, o)
		}
	}
	if seen != len(want) {
		t.Errorf("%d outcomes found, the table has %d", seen, len(want))
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "", 100: "1xx", 201: "2xx", 304: "3xx", 409: "4xx", 599: "5xx", 600: "_OTHER", 99: "_OTHER"} {
		if got := classNames[statusClass(status)]; got != want {
			t.Errorf("status %d: class %q, want %q", status, got, want)
		}
	}
}
