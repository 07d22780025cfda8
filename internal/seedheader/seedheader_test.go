package seedheader

import (
	"maps"
	"net/http"
	"testing"
)

func TestFlatten(t *testing.T) {
	got := Flatten(http.Header{
		"X-Multi":    {"a", "b"},
		"Set-Cookie": {"s=1", "t=2"},
		"X-One":      {"v"},
		"X-Empty":    {},
	})
	want := map[string]string{"X-Multi": "a, b", "Set-Cookie": "s=1", "X-One": "v"}
	if !maps.Equal(got, want) {
		t.Errorf("Flatten = %q, want %q", got, want)
	}
	if m := Flatten(nil); m == nil || len(m) != 0 {
		t.Errorf("Flatten(nil) = %#v, want an empty map", m)
	}
}

func TestExpand(t *testing.T) {
	if h := Expand(nil); h != nil {
		t.Errorf("Expand(nil) = %v, want nil", h)
	}
	h := Expand(map[string]string{"X-Multi": "a, b"})
	if len(h) != 1 || len(h["X-Multi"]) != 1 || h["X-Multi"][0] != "a, b" {
		t.Errorf("Expand = %q", h)
	}
}
