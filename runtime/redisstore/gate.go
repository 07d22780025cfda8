package redisstore

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// CheckMode says what a [Store] does about a Redis server that is set up
// to lose its keys (see [CheckServer] and [WithServerCheck]).
type CheckMode int

const (
	// CheckWarn logs each setting that is not OK, once, and serves
	// anyway. The default.
	CheckWarn CheckMode = iota
	// CheckRefuse logs like CheckWarn and refuses to serve while a
	// setting is StatusUnsafe: [NewChecked] returns an error wrapping
	// [ErrUnsafeServer], and a Store made by [New] returns it from Claim
	// (and its seed Lock fails closed). Weak and unknown settings
	// (CONFIG disabled) do not refuse. A refusing Store checks again every
	// few seconds, so fixing the server with CONFIG SET is enough.
	CheckRefuse
	// CheckOff never looks at the server's settings.
	CheckOff
)

// recheckAfter is how long a Store waits before checking again a server
// it refused, or could not reach.
const recheckAfter = 5 * time.Second

// gate runs the server check once per Store, before the Store first
// serves, and remembers the verdict.
type gate struct {
	mode    CheckMode
	logger  *slog.Logger  // nil: slog.Default() at the time of logging
	recheck time.Duration // recheckAfter; shorter in tests
	passed  atomic.Bool   // checked and not refused: nothing left to do

	mu        sync.Mutex
	triedAt   time.Time // last check that did not pass
	refusal   error     // what a refusing Store returns until the next try
	lastLog   string    // last report logged, not to repeat it
	loggedErr bool      // a failed check is logged once
}

// NewChecked is [New] followed, unless the mode is [CheckOff], by the
// server check under ctx: a Store that starts only on a server that keeps
// its keys, rather than failing its first request. In [CheckRefuse] mode
// it returns an error when the server is unsafe or cannot be asked; in
// [CheckWarn] mode it logs and always returns the Store.
func NewChecked(ctx context.Context, client redis.UniversalClient, opts ...Option) (*Store, error) {
	s := New(client, opts...)
	if s.optErr != nil {
		return nil, s.optErr
	}
	if s.check.mode == CheckOff {
		return s, nil
	}
	s.check.mu.Lock()
	defer s.check.mu.Unlock()
	if err := s.runCheck(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ready lets a call through once the server passed (or was not checked in
// CheckWarn mode); it runs the check on first use. One check, bounded by
// the store's timeout and detached from the caller's cancellation (it is
// the Store's, not the request's), serves every caller waiting for it.
func (s *Store) ready(ctx context.Context) error {
	if s.optErr != nil {
		return s.optErr
	}
	g := &s.check
	if g.mode == CheckOff || g.passed.Load() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.passed.Load() {
		return nil
	}
	if !g.triedAt.IsZero() && time.Since(g.triedAt) < g.recheck {
		return g.refusal // nil in CheckWarn mode: serve until the next try
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	return s.runCheck(ctx)
}

// runCheck checks the server, logs what is new, and records the verdict.
// The caller holds s.check.mu.
func (s *Store) runCheck(ctx context.Context) error {
	g := &s.check
	rep, err := CheckServer(ctx, s.client)
	g.log(rep)
	if err != nil {
		err = fmt.Errorf("redisstore: could not check the Redis server's settings: %w", err)
		if !g.loggedErr {
			g.loggedErr = true
			g.output().Warn(err.Error() + "; will try again")
		}
		g.triedAt = time.Now()
		if g.mode == CheckRefuse {
			g.refusal = err
			return err
		}
		return nil
	}
	if refusal := rep.Err(); refusal != nil && g.mode == CheckRefuse {
		g.triedAt, g.refusal = time.Now(), refusal
		return refusal
	}
	g.refusal = nil
	g.passed.Store(true)
	return nil
}

func (g *gate) output() *slog.Logger {
	if g.logger != nil {
		return g.logger
	}
	return slog.Default()
}

// log writes one warning per finding that is not OK, unless the same
// report was logged last time (a refusing Store checks every few seconds).
func (g *gate) log(rep Report) {
	text := rep.String()
	if text == g.lastLog {
		return
	}
	g.lastLog = text
	for _, f := range rep.Findings {
		if f.Status == StatusOK {
			continue
		}
		g.output().Warn("redisstore: "+f.String(),
			slog.String("node", f.Node), slog.String("setting", f.Setting),
			slog.String("value", f.Value), slog.String("status", f.Status.String()))
	}
}
