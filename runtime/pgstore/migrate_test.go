package pgstore

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/testsvc"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// oldSchema is the table as the releases before the fence created it.
const oldSchema = `CREATE TABLE %s (
    key          bytea       PRIMARY KEY,
    token        text,
    fingerprint  bytea       NOT NULL DEFAULT '',
    lease_until  timestamptz,
    taken_over   boolean     NOT NULL DEFAULT false,
    status       integer,
    header       bytea,
    body         bytea,
    body_omitted boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
)`

// An existing user's table lacks the fence: Migrate adds it, its rows keep
// working (a stored record replays, a dead claim is taken over) and every
// new owner gets a fence.
func TestMigrateAddsFence(t *testing.T) {
	pool := newPool(t, poolConfig(t))
	schema := testsvc.PostgresSchema(t, pool, "pgstore_test")
	s := New(pool, WithSchema(schema))
	ctx := context.Background()
	if _, err := pool.Exec(ctx, fmt.Sprintf(oldSchema, s.Table())); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.Table()+` (key, token, status, body, expires_at) VALUES
		('done', 't1', 201, 'old body', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.Table()+` (key, token, lease_until, expires_at) VALUES
		('dead', 't2', now() - interval '1 second', now() - interval '1 second')`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Claim(ctx, "k", "fp", time.Minute); err == nil {
		t.Fatal("Claim on the old table worked before Migrate; the test no longer checks the upgrade")
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate over the old table: %v", err)
	}
	if c := storetest.MustClaim(t, s, "done", "fp", time.Minute, idempotency.Completed); string(c.Record.Body) != "old body" {
		t.Fatalf("old record body %q", c.Record.Body)
	}
	dead := storetest.MustClaim(t, s, "dead", "fp", time.Minute, idempotency.Acquired)
	fresh := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	if !dead.TakenOver || dead.Fence == 0 || fresh.Fence == 0 {
		t.Fatalf("after Migrate: takeover %+v, fresh %+v; want fences", dead, fresh)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
}

// Migrate on an up-to-date table must not take the ACCESS EXCLUSIVE lock
// of ALTER TABLE, which would queue every claim and replay behind it: a
// transaction that only read the table (a replay's lock) must not block it.
func TestMigrateUpToDateTakesNoExclusiveLock(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	reader, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Rollback(ctx)
	if _, err := reader.Exec(ctx, "SELECT count(*) FROM "+s.Table()); err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := s.Migrate(mctx); err != nil {
		t.Fatalf("Migrate while a reader holds the table: %v", err)
	}
}
