package redisstore

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func sampleRecord(fp string) *idempotency.Record {
	now := time.Now()
	return &idempotency.Record{
		Fingerprint: fp,
		Status:      201,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Set-Cookie":   {"a=1", "b=2"},
			"X-Empty":      {""},
		},
		Body:      []byte(`{"id":"pay_1"}`),
		CreatedAt: now,
		ExpiresAt: now.Add(time.Hour),
	}
}

func TestClaimLifecycle(t *testing.T) {
	s, client := newTestStore(t)
	ctx := context.Background()

	c, err := s.Claim(ctx, "k1", "fp-a", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != idempotency.Acquired || c.Token == "" || c.TakenOver {
		t.Fatalf("first claim = %+v, want acquired with a token", c)
	}
	keys := s.keys("k1")
	if n := client.Exists(ctx, keys...).Val(); n != 2 {
		t.Fatalf("after claim %d of %v exist, want both", n, keys)
	}

	busy, err := s.Claim(ctx, "k1", "fp-b", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if busy.State != idempotency.InFlight || busy.Fingerprint != "fp-a" || busy.Token != "" {
		t.Fatalf("second claim = %+v, want in flight with the owner's fingerprint", busy)
	}

	want := sampleRecord("fp-a")
	if err := s.Complete(ctx, "k1", c.Token, want); err != nil {
		t.Fatal(err)
	}
	if n := client.Exists(ctx, keys[1]).Val(); n != 0 {
		t.Fatal("lease key survives Complete")
	}
	if pttl := client.PTTL(ctx, keys[0]).Val(); pttl <= 59*time.Minute || pttl > time.Hour {
		t.Fatalf("record PTTL %v, want about the record's one hour", pttl)
	}

	done, err := s.Claim(ctx, "k1", "fp-c", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != idempotency.Completed || done.Fingerprint != "fp-a" || done.Record == nil {
		t.Fatalf("claim after complete = %+v, want completed", done)
	}
	assertRecord(t, done.Record, want)

	if err := s.Complete(ctx, "k1", c.Token, sampleRecord("fp-x")); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("second Complete: %v, want ErrNotOwner", err)
	}
	if err := s.Abandon(ctx, "k1", c.Token); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Abandon after Complete: %v, want ErrNotOwner", err)
	}
	again, _ := s.Claim(ctx, "k1", "fp-c", time.Second)
	assertRecord(t, again.Record, want)
}

func assertRecord(t *testing.T, got, want *idempotency.Record) {
	t.Helper()
	if got.Fingerprint != want.Fingerprint || got.Status != want.Status ||
		got.BodyOmitted != want.BodyOmitted || string(got.Body) != string(want.Body) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) ||
		!reflect.DeepEqual(got.Header, want.Header) {
		t.Fatalf("record\n got %+v\nwant %+v", got, want)
	}
}

func TestAbandonReleases(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	c, _ := s.Claim(ctx, "k", "fp", time.Minute)
	if err := s.Abandon(ctx, "k", "not-the-token"); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Abandon with a foreign token: %v, want ErrNotOwner", err)
	}
	if still, _ := s.Claim(ctx, "k", "fp", time.Minute); still.State != idempotency.InFlight {
		t.Fatalf("foreign Abandon released the claim: %+v", still)
	}
	if err := s.Abandon(ctx, "k", c.Token); err != nil {
		t.Fatal(err)
	}
	next, err := s.Claim(ctx, "k", "fp2", time.Minute)
	if err != nil || next.State != idempotency.Acquired || next.TakenOver || next.Token == c.Token {
		t.Fatalf("claim after Abandon = %+v, %v; want a fresh acquire", next, err)
	}
	if err := s.Complete(ctx, "k", c.Token, sampleRecord("fp")); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Complete by the abandoned token: %v, want ErrNotOwner", err)
	}
}

func TestClaimRaceHasOneWinner(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := context.Background()
	for round := range 20 {
		key := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		var mu sync.Mutex
		winners, errs := 0, 0
		start := make(chan struct{})
		for range 64 {
			wg.Go(func() {
				<-start
				c, err := s.Claim(ctx, key, "fp", time.Minute)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs++
				} else if c.State == idempotency.Acquired {
					winners++
				}
			})
		}
		close(start)
		wg.Wait()
		if winners != 1 || errs != 0 {
			t.Fatalf("round %d: %d winners, %d errors; want exactly one winner", round, winners, errs)
		}
	}
}

func TestInvalidLease(t *testing.T) {
	s, _ := newTestStore(t)
	_, err := s.Claim(context.Background(), "k", "fp", 0)
	if err == nil || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("Claim with zero lease: %v, want an error naming the key", err)
	}
	if err := s.Complete(context.Background(), "k", "tok", nil); err == nil {
		t.Fatal("Complete with a nil record succeeded")
	}
}

func TestKeysShareOneHashTag(t *testing.T) {
	s := New(nil, WithPrefix("p"))
	for _, key := range []string{"abc", "", "a}b", "{x}", "x:lease", "a}:lease"} {
		ks := s.keys(key)
		if tag := hashTag(ks[0]); tag != hashTag(ks[1]) || tag == ks[0] {
			t.Errorf("key %q: %v have tags %q and %q", key, ks, hashTag(ks[0]), hashTag(ks[1]))
		}
	}
	a, b := s.keys("a}:lease"), s.keys("a")
	if a[0] == b[1] || a[1] == b[0] {
		t.Fatalf("keys of different idempotency keys collide: %v %v", a, b)
	}
}

// hashTag is the part of a key Redis Cluster hashes, per the Cluster spec:
// the text between the first "{" and the next "}", when not empty.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

func TestCorruptRecordIsAnError(t *testing.T) {
	s, client := newTestStore(t)
	ctx := context.Background()
	client.HSet(ctx, s.keys("k")[0], "f", "fp", "r", "garbage")
	_, err := s.Claim(ctx, "k", "fp", time.Second)
	if !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), `"k"`) {
		t.Fatalf("Claim of a corrupt record: %v, want errCorrupt naming the key", err)
	}
	if _, ok := s.Get("k"); ok {
		t.Fatal("seed Get of a corrupt record found it")
	}
}

// TestResentClaimIsAcquiredAgain plays a claim whose reply was lost and
// which the client resent with the same arguments: the owner must not be
// told "in flight" about its own claim.
func TestResentClaimIsAcquiredAgain(t *testing.T) {
	s, client := newTestStore(t)
	ctx := context.Background()
	args := []any{"fixed-token", "fp", int64(60000), int64(120000)}
	for i := range 2 {
		res, err := claimScript.Run(ctx, client, s.keys("k"), args...).Slice()
		if err != nil {
			t.Fatal(err)
		}
		c, err := parseClaim(res, "fixed-token")
		if err != nil || c.State != idempotency.Acquired {
			t.Fatalf("call %d: %+v, %v; want acquired", i, c, err)
		}
	}
	if c, _ := s.Claim(ctx, "k", "fp", time.Minute); c.State != idempotency.InFlight {
		t.Fatalf("another caller's claim: %+v, want in flight", c)
	}
	if err := s.Complete(ctx, "k", "fixed-token", sampleRecord("fp")); err != nil {
		t.Fatal(err)
	}
}

// TestResentCompleteIsAcknowledged plays a Complete whose reply was lost and
// which the client resent with the same arguments: the write landed, so the
// resend succeeds, while a second Complete with another record is refused
// and leaves the first intact.
func TestResentCompleteIsAcknowledged(t *testing.T) {
	s, client := newTestStore(t)
	ctx := context.Background()
	c, err := s.Claim(ctx, "k", "fp", time.Minute)
	if err != nil || c.State != idempotency.Acquired {
		t.Fatalf("Claim: %+v, %v", c, err)
	}
	rec := sampleRecord("fp")
	args := []any{c.Token, rec.Fingerprint, encodeRecord(rec), int64(60000)}
	for i := range 2 {
		ok, err := completeScript.Run(ctx, client, s.keys("k"), args...).Int()
		if err != nil || ok != 1 {
			t.Fatalf("complete call %d: %d, %v; want acknowledged", i, ok, err)
		}
	}
	other := sampleRecord("fp")
	other.Body = []byte("a different response")
	if err := s.Complete(ctx, "k", c.Token, other); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("second Complete with another record: %v, want ErrNotOwner", err)
	}
	got, err := s.Claim(ctx, "k", "fp", time.Minute)
	if err != nil || got.State != idempotency.Completed || string(got.Record.Body) != string(rec.Body) {
		t.Fatalf("after the refused Complete: %+v, %v; want the first record", got, err)
	}
}
