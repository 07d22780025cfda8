package testsvc

import (
	"net/url"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// CI reports whether the tests run under CI, where a missing service or
// tool fails the test instead of skipping it. Any non-empty CI variable
// counts, as it always has in this module's tests.
func CI() bool { return os.Getenv("CI") != "" }

// Unavailable ends the test because what it needs is missing: it skips the
// test, or fails it under [CI]. what names the service or tool and where
// it was looked for, err says what went wrong, and hint how to provide it.
func Unavailable(tb testing.TB, what string, err error, hint string) {
	tb.Helper()
	if CI() {
		tb.Fatalf("%s: %v\nCI is set, so this fails instead of skipping: %s", what, err, hint)
	}
	tb.Skipf("%s: %v\nskipping: %s (with CI set, this fails)", what, err, hint)
}

// Tool returns the path of the command name on PATH. When there is none,
// the test is skipped, or fails under [CI]; hint says how to install it.
func Tool(tb testing.TB, name, hint string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Unavailable(tb, name+" not on PATH", err, hint)
	}
	return p
}

// envOr is the value of the environment variable name, or def when it is
// unset or empty.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// shown is a service URL fit for a message: any password masked.
func shown(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return "(not a URL)"
	}
	return u.Redacted()
}

// checks holds one reachability check per service address.
var checks sync.Map // string -> func() error

// reach runs check once per test binary for key and returns its result.
func reach(key string, check func() error) error {
	f, _ := checks.LoadOrStore(key, sync.OnceValue(check))
	return f.(func() error)()
}
