package mysqlstore

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// DeleteExpired forgets a key's row and with it the fence; the next owner
// starts again from the database clock, which has moved on since the old
// owner's acquisition, so its fence is still larger.
func TestFenceGrowsAfterSweep(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	first := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	rec := &idempotency.Record{Status: 200, ExpiresAt: time.Now().Add(50 * time.Millisecond)}
	if err := s.Complete(ctx, "k", first.Token, rec); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if n, err := s.DeleteExpired(ctx, 10); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want the key's row swept", n, err)
	}
	again := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if again.Fence <= first.Fence {
		t.Fatalf("fence after the sweep %d, not larger than the swept owner's %d", again.Fence, first.Fence)
	}
	checkClockFence(t, again.Fence)
}

// checkClockFence checks that a fence taken from a fresh row is the
// database clock in microseconds (the machine's clock and the server's
// agree here within a minute).
func checkClockFence(t *testing.T, fence uint64) {
	t.Helper()
	if d := time.Since(time.UnixMicro(int64(fence))); d < -time.Minute || d > time.Minute {
		t.Fatalf("fence %d is %v from now, want the clock's microseconds", fence, d)
	}
}

// A fence that has run ahead of the clock (many owners within one
// microsecond) still grows by one at the next takeover.
func TestFenceGrowsAheadOfTheClock(t *testing.T) {
	s, _ := newStore(t)
	ahead := uint64(time.Now().Add(time.Hour).UnixMicro())
	// A dead owner's claim, its lease lapsed, under that fence.
	if _, err := s.db.Exec("INSERT INTO "+s.Table()+` (k, token, fence, fingerprint, created_at, expires_at)
		VALUES ('k', 'dead', ?, '', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) - INTERVAL 1 SECOND)`, ahead); err != nil {
		t.Fatal(err)
	}
	next := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if !next.TakenOver || next.Fence != ahead+1 {
		t.Fatalf("takeover of a claim at fence %d = %+v, want fence %d", ahead, next, ahead+1)
	}
}

// oldSchema is the table as the store created it before the fence column.
const oldSchema = `CREATE TABLE %s (
    k            VARBINARY(512) NOT NULL,
    token        VARBINARY(64),
    fingerprint  BLOB           NOT NULL,
    lease_until  DATETIME(6),
    taken_over   BOOLEAN        NOT NULL DEFAULT FALSE,
    status       INT,
    header       LONGBLOB,
    body         LONGBLOB,
    body_omitted BOOLEAN        NOT NULL DEFAULT FALSE,
    created_at   DATETIME(6)    NOT NULL,
    expires_at   DATETIME(6)    NOT NULL,
    PRIMARY KEY (k),
    KEY expires_at_idx (expires_at)
) ENGINE = InnoDB`

// Migrate upgrades a table of the old schema in place: its rows survive (a
// stored record replays, a dead owner's claim is taken over) and the
// claims after the upgrade carry fences.
func TestMigrateAddsFenceToOldTable(t *testing.T) {
	db := newDB(t, dbConfig(t))
	s := New(db, WithTable("mysqlstore_test_old_"+strings.ToLower(rand.Text()[:12])))
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS " + s.Table()) })
	if _, err := db.Exec(fmt.Sprintf(oldSchema, s.Table())); err != nil {
		t.Fatal(err)
	}
	insertRows(t, s, "done", 1, false, false)
	insertRows(t, s, "dead", 1, true, true)
	if _, err := s.Claim(context.Background(), "x", "fp", time.Minute); err == nil {
		t.Fatal("a claim on the old table succeeded before Migrate; the test does not start from the old schema")
	}
	// Replicas upgrading at once: all but one find nothing left to do.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() { errs <- New(db, WithTable(s.table)).Migrate(context.Background()) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Migrate of the old table: %v", err)
		}
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	storetest.MustClaim(t, s, "done1", "fp", time.Minute, idempotency.Completed)
	dead := storetest.MustClaim(t, s, "dead1", "fp", time.Minute, idempotency.Acquired)
	if !dead.TakenOver {
		t.Fatalf("the dead owner's claim: %+v, want a takeover", dead)
	}
	checkClockFence(t, dead.Fence)
	fresh := storetest.MustClaim(t, s, "fresh", "fp", time.Minute, idempotency.Acquired)
	checkClockFence(t, fresh.Fence)
}
