package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// similarKeys differ from each other by one character, case, a separator
// or a length, the places where key encodings tend to collide.
func similarKeys() []string {
	long := strings.Repeat("k", idempotency.MaxKeyLength)
	return []string{
		"a", "A", "a ", " a", "aa", "a:b", "a:b:", ":a:b", "a::b", "a:", ":",
		"{a}", "{a}:b", "a}", "{a", "{", "}", "{}", "a{b}c", "a/b", "a b",
		"POST /payments:k1", "POST /payments/:k1", "POST /payment:sk1",
		"1", "01", "1.0",
		long, long[:len(long)-1], long[:len(long)-1] + "K", "x" + long,
	}
}

// oddKeys hold bytes that text encodings, SQL, and Redis commands treat
// specially.
func oddKeys() []string {
	return []string{
		"nul\x00", "nul\x00x", "\x00", "\xff\xfe", "\xff", "tab\t", "nl\n", "cr\r",
		"quote'", "dquote\"", "back\\slash", "percent%", "star*", "q?", "[a]",
		"ключ", "キー", "emoji\U0001F600", "space ", "\x7f",
	}
}

func testKeysIsolated(t *testing.T, s *suite) { checkIsolated(t, s, similarKeys()) }

func testOddKeys(t *testing.T, s *suite) { checkIsolated(t, s, oddKeys()) }

// checkIsolated claims every key, completes every other one, and checks
// that each key holds exactly its own state.
func checkIsolated(t *testing.T, s *suite, names []string) {
	ctx := context.Background()
	keys := make([]string, len(names))
	toks := make([]string, len(names))
	for i, name := range names {
		keys[i] = s.key(name)
		toks[i] = s.acquire(t, keys[i], fmt.Sprint("fp-", i), longLease)
	}
	recs := make([]*idempotency.Record, len(names))
	for i := 0; i < len(keys); i += 2 {
		recs[i] = record(fmt.Sprint("fp-", i), 200+i, []byte(fmt.Sprintf("body of %q", names[i])))
		s.complete(t, keys[i], toks[i], recs[i])
	}
	for i, key := range keys {
		fp := fmt.Sprint("fp-", i)
		if recs[i] != nil {
			checkRecord(t, s.expectCompleted(t, key, fp), recs[i])
		} else {
			s.expectInFlight(t, key, fp)
		}
	}
	// Releasing one key leaves its neighbours alone.
	if err := s.store.Abandon(ctx, keys[1], toks[1]); err != nil {
		t.Fatalf("Abandon(%q): %v", names[1], err)
	}
	s.expectInFlight(t, keys[3], "fp-3")
	checkRecord(t, s.expectCompleted(t, keys[0], "fp-0"), recs[0])
	checkRecord(t, s.expectCompleted(t, keys[2], "fp-2"), recs[2])
	s.acquire(t, keys[1], "fp-again", longLease)
}

func testCancelled(t *testing.T, s *suite) {
	key := s.key("cancelled")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.store.Claim(ctx, key, "fp", longLease); err == nil {
		t.Fatal("Claim with a cancelled context returned no error")
	}
	tok := s.acquire(t, s.key("owned"), "fp", longLease)
	if err := s.store.Complete(ctx, s.key("owned"), tok, record("fp", 200, nil)); err == nil {
		t.Fatal("Complete with a cancelled context returned no error")
	}
	if err := s.store.Renew(ctx, s.key("owned"), tok, longLease); err == nil {
		t.Fatal("Renew with a cancelled context returned no error")
	}
	if err := s.store.Abandon(ctx, s.key("owned"), tok); err == nil {
		t.Fatal("Abandon with a cancelled context returned no error")
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if _, err := s.store.Claim(expired, s.key("deadline"), "fp", longLease); err == nil {
		t.Fatal("Claim with an expired deadline returned no error")
	}
}
