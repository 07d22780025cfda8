package redisstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestServerStopAndRestart stops Redis under a live store: every call
// fails with an error (never a false "acquired" or ErrNotOwner), and once
// the server is back the same client serves again, reloading its scripts
// into the empty script cache.
func TestServerStopAndRestart(t *testing.T) {
	srv := startPrivateRedis(t, false)
	client := redis.NewClient(&redis.Options{
		Addr: srv.addr(), DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, MaxRetries: 1,
	})
	defer client.Close()
	s := New(client, WithPrefix("fault"))
	ctx := context.Background()

	held, err := s.Claim(ctx, "held", "fp", time.Minute)
	if err != nil || held.State != idempotency.Acquired {
		t.Fatalf("claim before the stop: %+v, %v", held, err)
	}

	srv.stop()
	if c, err := s.Claim(ctx, "k", "fp", time.Minute); err == nil {
		t.Fatalf("Claim without a server answered %+v", c)
	}
	err = s.Complete(ctx, "held", held.Token, sampleRecord("fp"))
	if err == nil || errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Complete without a server: %v, want a store error", err)
	}
	if err := s.Abandon(ctx, "held", held.Token); err == nil || errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Abandon without a server: %v, want a store error", err)
	}

	srv.start()
	var c idempotency.Claim
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err = s.Claim(ctx, "k", "fp", time.Minute)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || c.State != idempotency.Acquired {
		t.Fatalf("Claim after the restart: %+v, %v", c, err)
	}
	if err := s.Complete(ctx, "k", c.Token, sampleRecord("fp")); err != nil {
		t.Fatalf("Complete after the restart: %v", err)
	}
	if got, err := s.Claim(ctx, "k", "fp", time.Minute); err != nil || got.State != idempotency.Completed {
		t.Fatalf("replay after the restart: %+v, %v", got, err)
	}
}
