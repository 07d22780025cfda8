package testsvc

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"testing"
)

// fakeTB records how a helper ended the test: Skipf and Fatalf stop the
// calling goroutine, as the real ones do.
type fakeTB struct {
	testing.TB
	name            string
	skipped, failed bool
	msg             string
	cleanups        []func()
	logs, errs      []string
}

func (f *fakeTB) Helper()      {}
func (f *fakeTB) Name() string { return f.name }
func (f *fakeTB) Cleanup(fn func()) {
	f.cleanups = append(f.cleanups, fn)
}
func (f *fakeTB) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls body with a fake test on a goroutine of its own, then runs
// the fake's cleanups, last registered first, as package testing does.
func run(t *testing.T, body func(tb testing.TB)) *fakeTB {
	t.Helper()
	f := &fakeTB{name: t.Name()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		body(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}

// expect checks how the fake test ended and that its message holds each
// of parts and none of absent.
func (f *fakeTB) expect(t *testing.T, wantSkip, wantFail bool, parts []string, absent ...string) {
	t.Helper()
	if f.skipped != wantSkip || f.failed != wantFail {
		t.Fatalf("skipped=%v failed=%v, want skipped=%v failed=%v (message %q)", f.skipped, f.failed, wantSkip, wantFail, f.msg)
	}
	for _, p := range parts {
		if !strings.Contains(f.msg, p) {
			t.Errorf("message %q does not contain %q", f.msg, p)
		}
	}
	if len(f.errs) != 0 {
		t.Errorf("errors reported: %q", f.errs)
	}
	for _, a := range absent {
		if strings.Contains(f.msg, a) {
			t.Errorf("message %q contains %q", f.msg, a)
		}
	}
}

// closedAddr is a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
