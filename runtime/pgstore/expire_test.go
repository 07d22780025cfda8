package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestSweepRacesClaims sweeps while claimers take expired keys over: the
// sweep may delete a key or lose it to a claimer, but every key is acquired
// exactly once and no live claim is deleted.
func TestSweepRacesClaims(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	const keys = 200
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.Table()+` (key, token, lease_until, expires_at)
		SELECT convert_to('k' || g, 'UTF8'), 'dead', now() - interval '1 second', now() - interval '1 second'
		FROM generate_series(1, $1::int) g`, keys); err != nil {
		t.Fatal(err)
	}
	var wins [keys]atomic.Int32
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := s.DeleteExpired(ctx, 7); err != nil {
				t.Error(err)
			}
		})
	}
	for w := range 4 {
		wg.Go(func() {
			for i := range keys {
				i := (i + w*keys/4) % keys
				c, err := s.Claim(ctx, fmt.Sprint("k", i+1), "fp", time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if c.State == idempotency.Acquired {
					wins[i].Add(1)
				}
			}
		})
	}
	wg.Wait()
	for i := range wins {
		if n := wins[i].Load(); n != 1 {
			t.Errorf("key k%d acquired %d times, want 1", i+1, n)
		}
	}
	var live int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+s.Table()+` WHERE status IS NULL AND expires_at > now()`).Scan(&live); err != nil || live != keys {
		t.Fatalf("live claims after the sweep = %d, %v; want %d", live, err, keys)
	}
}

func TestDeleteExpiredInBatches(t *testing.T) {
	s, pool := newStore(t)
	ctx := context.Background()
	// 25 expired rows and 5 live ones, written directly for speed.
	if _, err := pool.Exec(ctx, `INSERT INTO `+s.Table()+` (key, status, expires_at)
		SELECT convert_to('old' || g, 'UTF8'), 200, now() - interval '1 second' FROM generate_series(1, 25) g
		UNION ALL SELECT convert_to('live' || g, 'UTF8'), 200, now() + interval '1 hour' FROM generate_series(1, 5) g`); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpired(ctx, 10)
	if err != nil || n != 25 {
		t.Fatalf("DeleteExpired = %d, %v; want 25", n, err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+s.Table()).Scan(&left); err != nil || left != 5 {
		t.Fatalf("rows left = %d, %v; want the 5 live ones", left, err)
	}
	if n, err := s.DeleteExpired(ctx, 10); err != nil || n != 0 {
		t.Fatalf("second sweep = %d, %v", n, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.DeleteExpired(cctx, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sweep = %v", err)
	}
}
