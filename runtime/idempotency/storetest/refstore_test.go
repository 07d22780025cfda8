package storetest_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// refStore is the simplest correct ClaimStore: one map under one mutex.
// Each flaw switches off one guarantee, so that the tests can check that
// the suite notices.
type refStore struct {
	flaw string
	mu   sync.Mutex
	m    map[string]*refItem
	ctr  int
}

type refItem struct {
	token    string
	fp       string
	leaseEnd time.Time
	rec      *idempotency.Record
}

func newRefStore(flaw string) *refStore {
	return &refStore{flaw: flaw, m: map[string]*refItem{}}
}

func (s *refStore) TTL() time.Duration { return time.Hour }

func (s *refStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	if err := ctx.Err(); err != nil && s.flaw != "ignorectx" {
		return idempotency.Claim{}, err
	}
	if lease <= 0 {
		return idempotency.Claim{}, errors.New("lease must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	it := s.m[key]
	takenOver := false
	switch {
	case it == nil:
	case it.rec != nil && (now.Before(it.rec.ExpiresAt) || s.flaw == "noexpiry"):
		return idempotency.Claim{State: idempotency.Completed, Fingerprint: it.rec.Fingerprint, Record: it.rec}, nil
	case it.rec != nil:
	case now.Before(it.leaseEnd):
		return idempotency.Claim{State: idempotency.InFlight, Fingerprint: it.fp}, nil
	default:
		takenOver = s.flaw != "notakeover"
	}
	if s.flaw == "toctou" {
		// Checked above, inserted below: another claim can slip between.
		s.mu.Unlock()
		runtime.Gosched()
		s.mu.Lock()
	}
	s.ctr++
	tok := fmt.Sprint("t", s.ctr)
	s.m[key] = &refItem{token: tok, fp: fp, leaseEnd: now.Add(lease)}
	fence := uint64(s.ctr)
	if s.flaw == "stalefence" {
		fence = 1
	}
	return idempotency.Claim{State: idempotency.Acquired, Token: tok, TakenOver: takenOver, Fence: fence}, nil
}

// owned returns key's claim if token owns it.
func (s *refStore) owned(ctx context.Context, key, token string) (*refItem, error) {
	if err := ctx.Err(); err != nil && s.flaw != "ignorectx" {
		return nil, err
	}
	it := s.m[key]
	if it == nil || it.rec != nil || (it.token != token && s.flaw != "nofence") {
		return nil, idempotency.ErrNotOwner
	}
	return it, nil
}

func (s *refStore) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.owned(ctx, key, token)
	if err != nil {
		return err
	}
	r := *rec
	if s.flaw == "onevalue" {
		r.Header = map[string][]string{}
		for k, vs := range rec.Header {
			r.Header[k] = vs[:1]
		}
	}
	it.rec = &r
	return nil
}

func (s *refStore) Abandon(ctx context.Context, key, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.owned(ctx, key, token); err != nil {
		return err
	}
	delete(s.m, key)
	return nil
}

func (s *refStore) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, err := s.owned(ctx, key, token)
	if err != nil {
		return err
	}
	if s.flaw != "norenew" {
		it.leaseEnd = time.Now().Add(lease)
	}
	return nil
}
