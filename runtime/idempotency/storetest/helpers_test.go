package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// fatalTB records Fatalf and stops its goroutine there, as testing does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// mustClaim runs storetest.MustClaim on a fake test and returns its
// failure message ("" when it passed).
func mustClaim(s idempotency.ClaimStore, key string, want idempotency.ClaimState) string {
	f := &fatalTB{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		storetest.MustClaim(f, s, key, "fp", time.Minute, want)
	}()
	<-done
	return f.msg
}

// downStore fails every claim, as a store whose server is gone does.
type downStore struct{ idempotency.ClaimStore }

func (downStore) Claim(context.Context, string, string, time.Duration) (idempotency.Claim, error) {
	return idempotency.Claim{}, errors.New("store down")
}

func TestMustClaim(t *testing.T) {
	ref := newRefStore("")
	for _, c := range []struct {
		s    idempotency.ClaimStore
		key  string
		want idempotency.ClaimState
		fail string // "" when MustClaim must pass
	}{
		{ref, "a", idempotency.Acquired, ""},
		{ref, "a", idempotency.Acquired, `Claim("a") state = in-flight, want acquired`},
		{ref, "a", 0, ""}, // a zero want accepts any state
		{downStore{}, "b", 0, `Claim("b"): store down`},
	} {
		got := mustClaim(c.s, c.key, c.want)
		if c.fail == "" && got != "" || c.fail != "" && !strings.Contains(got, c.fail) {
			t.Errorf("MustClaim(%q, want %v): failure %q, want %q", c.key, c.want, got, c.fail)
		}
	}
}
