package testsvc

import (
	"errors"
	"testing"
)

// ciValues are settings of CI and whether each counts as CI: any
// non-empty value does, "false" included, as in the tests before this
// package.
var ciValues = []struct {
	value string
	ci    bool
}{{"", false}, {"true", true}, {"1", true}, {"false", true}}

func TestUnavailable(t *testing.T) {
	for _, c := range ciValues {
		t.Run("CI="+c.value, func(t *testing.T) {
			t.Setenv("CI", c.value)
			f := run(t, func(tb testing.TB) {
				Unavailable(tb, "Frob at 10.0.0.1:9", errors.New("connection refused"), "start frobd")
				tb.Errorf("Unavailable returned")
			})
			f.expect(t, !c.ci, c.ci, []string{"Frob at 10.0.0.1:9", "connection refused", "start frobd"})
		})
	}
}

func TestTool(t *testing.T) {
	for _, c := range ciValues[:2] {
		t.Run("CI="+c.value, func(t *testing.T) {
			t.Setenv("CI", c.value)
			f := run(t, func(tb testing.TB) { Tool(tb, "idemgen-no-such-tool", "install it from nowhere") })
			f.expect(t, !c.ci, c.ci, []string{"idemgen-no-such-tool not on PATH", "install it from nowhere"})
		})
	}
	t.Run("found", func(t *testing.T) {
		t.Setenv("CI", "")
		var got string
		f := run(t, func(tb testing.TB) { got = Tool(tb, "go", "") })
		f.expect(t, false, false, nil)
		if got == "" {
			t.Error("Tool(go) returned no path")
		}
	})
}
