package idempotency

import (
	"net/http"
	"testing"
	"time"
)

// Without WithRoute, every event names the path of its own request,
// whatever path the one before it named.
func TestEventRouteNamesEachPath(t *testing.T) {
	var ev events
	h := New(NewMemoryStore(time.Hour), WithObserver(ev.observe)).Handler(&countingHandler{})
	paths := []string{"/a", "/b", "/a", "/ab", "/a"}
	for i, p := range paths {
		serve(h, http.MethodPost, p, "k"+itoa(int64(i)), "{}")
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	if len(ev.got) != 2*len(paths) {
		t.Fatalf("%d events, want %d", len(ev.got), 2*len(paths))
	}
	for i, e := range ev.got {
		if want := "POST " + paths[i/2]; e.Route != want || e.Operation != want {
			t.Fatalf("event %d (%v): route %q, operation %q; want %q", i, e.Outcome, e.Route, e.Operation, want)
		}
	}
}

func TestIsRouteName(t *testing.T) {
	for _, tc := range []struct {
		s, method, path string
		want            bool
	}{
		{"POST /a", "POST", "/a", true},
		{"POST /a", "POST", "/b", false},
		{"POST /a", "PUT", "/a", false},
		{"POST/a ", "POST", "/a", false},
		{"PATCH /", "PATC", "H /", false},
		{"", "", "", false},
	} {
		if got := isRouteName(tc.s, tc.method, tc.path); got != tc.want {
			t.Errorf("isRouteName(%q, %q, %q) = %v, want %v", tc.s, tc.method, tc.path, got, tc.want)
		}
	}
}
