package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// testRace lets Racers goroutines claim one fresh key at the same instant,
// Rounds times. Exactly one may acquire; the others see it in flight, or
// completed in the rounds where the winner completes at once.
func testRace(t *testing.T, s *suite) {
	ctx := context.Background()
	n := s.opts.Racers
	claims := make([]idempotency.Claim, n)
	errs := make([]error, n)
	for round := range s.opts.Rounds {
		key := s.key(fmt.Sprint("race-", round))
		completeAtOnce := round%2 == 1
		want := record("fp-0", 201, []byte(key))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				claims[i], errs[i] = s.store.Claim(ctx, key, fmt.Sprint("fp-", i), longLease)
				if errs[i] == nil && claims[i].State == idempotency.Acquired && completeAtOnce {
					r := *want
					r.Fingerprint = fmt.Sprint("fp-", i)
					errs[i] = s.store.Complete(ctx, key, claims[i].Token, &r)
				}
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, c := range claims {
			if errs[i] != nil {
				t.Fatalf("round %d: racer %d: %v", round, i, errs[i])
			}
			if c.State != idempotency.Acquired {
				continue
			}
			if winner >= 0 {
				t.Fatalf("round %d: racers %d and %d both acquired key %q", round, winner, i, key)
			}
			winner = i
		}
		if winner < 0 {
			t.Fatalf("round %d: no racer acquired the fresh key %q", round, key)
		}
		winFP := fmt.Sprint("fp-", winner)
		for i, c := range claims {
			switch {
			case i == winner:
			case c.State == idempotency.InFlight:
				if c.Fingerprint != winFP {
					t.Fatalf("round %d: racer %d sees in-flight fingerprint %q, winner is %q", round, i, c.Fingerprint, winFP)
				}
			case c.State == idempotency.Completed && completeAtOnce:
				if c.Record == nil || c.Record.Fingerprint != winFP || string(c.Record.Body) != key {
					t.Fatalf("round %d: racer %d replays a record that is not the winner's", round, i)
				}
			default:
				t.Fatalf("round %d: racer %d got state %v", round, i, c.State)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// testParallelKeys runs whole claim-complete-replay cycles on distinct keys
// from several goroutines, so that a store mixing up concurrent keys (a
// shared buffer, a connection handing back another caller's reply) shows.
func testParallelKeys(t *testing.T, s *suite) {
	ctx := context.Background()
	const workers, perWorker = 8, 50
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- cycle(ctx, s, w, perWorker)
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func cycle(ctx context.Context, s *suite, w, n int) error {
	for i := range n {
		key := s.key(fmt.Sprintf("parallel-%d-%d", w, i))
		fp := "fp-" + key
		c, err := s.store.Claim(ctx, key, fp, longLease)
		if err != nil {
			return fmt.Errorf("Claim(%q): %v", key, err)
		}
		if c.State != idempotency.Acquired {
			return fmt.Errorf("Claim(%q) on a fresh key: state %v", key, c.State)
		}
		if err := s.store.Complete(ctx, key, c.Token, record(fp, 200, []byte(key))); err != nil {
			return fmt.Errorf("Complete(%q): %v", key, err)
		}
		r, err := s.store.Claim(ctx, key, "other", longLease)
		if err != nil {
			return fmt.Errorf("Claim(%q) after completion: %v", key, err)
		}
		if r.State != idempotency.Completed || r.Record == nil || string(r.Record.Body) != key || r.Fingerprint != fp {
			return fmt.Errorf("Claim(%q) after completion: state %v, not its own record", key, r.State)
		}
	}
	return nil
}
