package mysqlstore

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

// insertRows writes n rows directly, for speed: expired ones a second in
// the past, live ones an hour ahead.
func insertRows(t *testing.T, s *Store, prefix string, n int, inFlight, expired bool) {
	t.Helper()
	when := "UTC_TIMESTAMP(6) + INTERVAL 1 HOUR"
	if expired {
		when = "UTC_TIMESTAMP(6) - INTERVAL 1 SECOND"
	}
	token, status := "NULL", "200"
	if inFlight {
		token, status = "'dead'", "NULL"
	}
	for i := 1; i <= n; i++ {
		_, err := s.db.Exec(`INSERT INTO `+s.Table()+` (k, token, fingerprint, status, created_at, expires_at)
			VALUES (?, `+token+`, '', `+status+`, UTC_TIMESTAMP(6), `+when+`)`, fmt.Sprint(prefix, i))
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeleteExpiredInBatches(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	insertRows(t, s, "old", 25, false, true)
	insertRows(t, s, "live", 5, false, false)
	n, err := s.DeleteExpired(ctx, 10)
	if err != nil || n != 25 {
		t.Fatalf("DeleteExpired = %d, %v; want 25", n, err)
	}
	var left int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + s.Table()).Scan(&left); err != nil || left != 5 {
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

// TestSweepRacesClaims sweeps while claimers take expired claims over: the
// sweep may delete a key or lose it to a claimer, but every key is acquired
// exactly once and no live claim is deleted.
func TestSweepRacesClaims(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const keys = 200
	insertRows(t, s, "k", keys, true, true)
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
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + s.Table() + ` WHERE status IS NULL AND expires_at > UTC_TIMESTAMP(6)`).Scan(&live); err != nil || live != keys {
		t.Fatalf("live claims after the sweep = %d, %v; want %d", live, err, keys)
	}
}
