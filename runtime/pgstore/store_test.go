package pgstore

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/testsvc"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

func TestClaimCompleteReplay(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k1", "fp-a", time.Minute, idempotency.Acquired)
	if a.Token == "" || a.TakenOver {
		t.Fatalf("fresh claim: %+v", a)
	}
	b := storetest.MustClaim(t, s, "k1", "fp-b", time.Minute, idempotency.InFlight)
	if b.Fingerprint != "fp-a" || b.Token != "" {
		t.Fatalf("in-flight claim: %+v", b)
	}

	rec := &idempotency.Record{
		Status:    201,
		Header:    http.Header{"Set-Cookie": {"a=1", "b=2"}, "Content-Type": {"application/json"}},
		Body:      []byte(`{"id":"p_1"}` + "\x00\xff"),
		CreatedAt: time.Now().Truncate(time.Microsecond),
		ExpiresAt: time.Now().Add(time.Hour),
	}
	if err := s.Complete(ctx, "k1", "not-the-token", rec); err != idempotency.ErrNotOwner {
		t.Fatalf("Complete with a foreign token = %v, want ErrNotOwner", err)
	}
	if err := s.Complete(ctx, "k1", a.Token, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, "k1", a.Token, rec); err != idempotency.ErrNotOwner {
		t.Fatalf("second Complete = %v, want ErrNotOwner", err)
	}
	if err := s.Abandon(ctx, "k1", a.Token); err != idempotency.ErrNotOwner {
		t.Fatalf("Abandon after Complete = %v, want ErrNotOwner", err)
	}
	if err := s.Renew(ctx, "k1", a.Token, time.Minute); err != idempotency.ErrNotOwner {
		t.Fatalf("Renew after Complete = %v, want ErrNotOwner", err)
	}

	c := storetest.MustClaim(t, s, "k1", "fp-c", time.Minute, idempotency.Completed)
	got := c.Record
	if c.Fingerprint != "fp-a" || got.Fingerprint != "fp-a" {
		t.Fatalf("completed fingerprint = %q / %q, want fp-a (kept from the claim)", c.Fingerprint, got.Fingerprint)
	}
	if got.Status != 201 || !reflect.DeepEqual(got.Header, rec.Header) || string(got.Body) != string(rec.Body) || got.BodyOmitted {
		t.Fatalf("record = %+v, want %+v", got, rec)
	}
	if !got.CreatedAt.Equal(rec.CreatedAt) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, rec.CreatedAt)
	}
	if d := got.ExpiresAt.Sub(rec.ExpiresAt); d < -time.Second || d > time.Second {
		t.Errorf("ExpiresAt = %v, want about %v", got.ExpiresAt, rec.ExpiresAt)
	}
}

func TestCompleteOmittedBodyAndOwnFingerprint(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "claim-fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Fingerprint: "final-fp", Status: 200, BodyOmitted: true}); err != nil {
		t.Fatal(err)
	}
	c := storetest.MustClaim(t, s, "k", "x", time.Minute, idempotency.Completed)
	if !c.Record.BodyOmitted || c.Record.Body != nil || c.Record.Header != nil || c.Fingerprint != "final-fp" {
		t.Fatalf("record = %+v", c.Record)
	}
	// No ExpiresAt: the store's TTL applies.
	if d := time.Until(c.Record.ExpiresAt); d < idempotency.DefaultTTL-time.Minute || d > idempotency.DefaultTTL {
		t.Fatalf("ExpiresAt in %v, want about %v", d, idempotency.DefaultTTL)
	}
}

func TestAbandonFreesKey(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if err := s.Abandon(ctx, "k", "other"); err != idempotency.ErrNotOwner {
		t.Fatalf("foreign Abandon = %v, want ErrNotOwner", err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.InFlight)
	if err := s.Abandon(ctx, "k", a.Token); err != nil {
		t.Fatal(err)
	}
	b := storetest.MustClaim(t, s, "k", "fp2", time.Minute, idempotency.Acquired)
	if b.TakenOver || b.Token == a.Token {
		t.Fatalf("claim after abandon: %+v", b)
	}
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Status: 200}); err != idempotency.ErrNotOwner {
		t.Fatalf("abandoned owner's Complete = %v, want ErrNotOwner", err)
	}
}

func TestExpiredLeaseIsTakenOver(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	old := storetest.MustClaim(t, s, "k", "fp", 50*time.Millisecond, idempotency.Acquired)
	time.Sleep(120 * time.Millisecond)
	nu := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if !nu.TakenOver {
		t.Fatalf("claim over an expired lease: TakenOver = false")
	}
	for name, err := range map[string]error{
		"Complete": s.Complete(ctx, "k", old.Token, &idempotency.Record{Status: 200}),
		"Renew":    s.Renew(ctx, "k", old.Token, time.Minute),
		"Abandon":  s.Abandon(ctx, "k", old.Token),
	} {
		if err != idempotency.ErrNotOwner {
			t.Errorf("dead owner's %s = %v, want ErrNotOwner", name, err)
		}
	}
	if err := s.Complete(ctx, "k", nu.Token, &idempotency.Record{Status: 200, Body: []byte("new")}); err != nil {
		t.Fatal(err)
	}
	if c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed); string(c.Record.Body) != "new" {
		t.Fatalf("body = %q, want the successor's", c.Record.Body)
	}
}

func TestRenewKeepsLiveOwner(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "fp", 150*time.Millisecond, idempotency.Acquired)
	if err := s.Renew(ctx, "k", a.Token, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.InFlight) // the renewed lease still runs
	if err := s.Renew(ctx, "k", "other", time.Second); err != idempotency.ErrNotOwner {
		t.Fatalf("foreign Renew = %v, want ErrNotOwner", err)
	}
}

func TestExpiredRecordIsFreshNotTakeover(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "k", a.Token, &idempotency.Record{Status: 200, ExpiresAt: time.Now().Add(80 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed)
	time.Sleep(150 * time.Millisecond)
	if c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired); c.TakenOver {
		t.Fatalf("claim over an expired record reported TakenOver")
	}
}

// A retry after a broken connection presents the same token; it must find
// its own claim, not report it as someone else's in flight.
func TestSameTokenReclaims(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	first, err := s.claimOnce(ctx, "k", "fp", "tok", time.Minute)
	if err != nil || first.State != idempotency.Acquired {
		t.Fatalf("first = %+v, %v", first, err)
	}
	again, err := s.claimOnce(ctx, "k", "fp", "tok", time.Minute)
	if err != nil || again.State != idempotency.Acquired || again.Token != "tok" || again.TakenOver {
		t.Fatalf("retry with the same token = %+v, %v", again, err)
	}
	if other, err := s.claimOnce(ctx, "k", "fp", "tok2", time.Minute); err != nil || other.State != idempotency.InFlight {
		t.Fatalf("other token = %+v, %v", other, err)
	}
}

func TestBadInput(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.Claim(ctx, "", "fp", time.Second); err == nil || !strings.Contains(err.Error(), "empty key") {
		t.Errorf("empty key: %v", err)
	}
	if _, err := s.Claim(ctx, "k", "fp", 0); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("zero lease: %v", err)
	}
	if err := s.Complete(ctx, "k", "t", nil); err == nil || !strings.Contains(err.Error(), "nil record") {
		t.Errorf("nil record: %v", err)
	}
	if _, err := s.DeleteExpired(ctx, 0); err == nil || !strings.Contains(err.Error(), "batch") {
		t.Errorf("zero batch: %v", err)
	}
	for _, tc := range []struct {
		s    *Store
		want string
	}{
		{New(nil), "nil pool"},
		{New(s.pool, WithTable("")), "WithTable"},
		{New(s.pool, WithSchema("")), "WithSchema"},
		{New(s.pool, WithTTL(-time.Second)), "WithTTL"},
	} {
		if err := tc.s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Migrate: %v, want an error naming %s", err, tc.want)
		}
		if _, err := tc.s.Claim(ctx, "k", "fp", time.Second); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Claim: %v, want an error naming %s", err, tc.want)
		}
	}
}

func TestOddTableNameIsQuoted(t *testing.T) {
	_, pool := newStore(t)
	s := newStoreOn(t, pool, WithTable(`Odd "Table"; DROP`), WithTTL(time.Hour))
	if s.TTL() != time.Hour {
		t.Fatalf("TTL = %v", s.TTL())
	}
	a := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(context.Background(), "k", a.Token, &idempotency.Record{Status: 204}); err != nil {
		t.Fatal(err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed)
}

func TestMigrateConcurrentlyAndAgain(t *testing.T) {
	pool := newPool(t, poolConfig(t))
	schema := testsvc.PostgresSchema(t, pool, "pgstore_test") + "_m" // Migrate must create it
	t.Cleanup(func() { _, _ = pool.Exec(context.Background(), `DROP SCHEMA IF EXISTS "`+schema+`" CASCADE`) })
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() { errs <- New(pool, WithSchema(schema)).Migrate(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	s := New(pool, WithSchema(schema))
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
}

func TestRaceHasOneWinner(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const goroutines, rounds = 64, 30
	for round := range rounds {
		key := "race-" + string(rune('a'+round%26)) + time.Now().Format("150405.000000")
		var mu sync.Mutex
		wins := 0
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range goroutines {
			wg.Go(func() {
				<-start
				c, err := s.Claim(ctx, key, "fp", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if c.State == idempotency.Acquired {
					mu.Lock()
					wins++
					mu.Unlock()
				} else if c.State != idempotency.InFlight {
					t.Errorf("state %v", c.State)
				}
			})
		}
		close(start)
		wg.Wait()
		if wins != 1 {
			t.Fatalf("round %d: %d winners, want 1", round, wins)
		}
	}
}
