package idempotency

import (
	"errors"
	"fmt"
	"sync"
	"time"
)

// renewer keeps a claim's lease alive while its handler runs, so a slow but
// live handler is never taken over. It lives in the pooled request state
// and reuses one timer (no goroutine, no allocation per request). It stops
// for good on the first ErrNotOwner: the lease was taken over, and the
// late Complete will be refused and reported too.
//
// A timer callback that was already running when stop was called may find
// the renewer serving the next request; gen tells it the result is stale,
// and renewing the next request's claim early is harmless.
//
// When the lease is lost (the store says another owner took the key over,
// or no renewal got through for a whole lease) it cancels the handler's
// context with ErrLeaseLost, so a handler that checks its context stops
// before its side effects. After a lapse without a takeover it goes on
// renewing: if the store comes back before anyone took the key over, the
// run still owns it and may store its response.
type renewer struct {
	mu     sync.Mutex
	t      *time.Timer
	gen    uint64
	active bool
	c      call // a copy: the call itself stays on the request's stack
	token  string
	every  time.Duration
	held   time.Time // when the lease was last known to be held
	lost   bool
	hctx   *handlerCtx // cancelled when the lease is lost
}

// start renews c's claim until stop; claimed is a time at or after the
// claim (the run's Info.CreatedAt, which saves reading the clock again).
func (rn *renewer) start(c *call, token string, hctx *handlerCtx, claimed time.Time) {
	rn.mu.Lock()
	rn.gen++
	rn.active = true
	rn.c = *c
	rn.token = token
	rn.held = claimed
	rn.lost = false
	rn.hctx = hctx
	// A third of the lease leaves two renewals' worth of slack; the floor
	// keeps a silly lease (WithLease(time.Nanosecond)) from spinning.
	rn.every = max(c.m.cfg.lease/3, time.Millisecond)
	if rn.t == nil {
		rn.t = time.AfterFunc(rn.every, rn.renew)
	} else {
		rn.t.Reset(rn.every)
	}
	rn.mu.Unlock()
}

func (rn *renewer) renew() {
	rn.mu.Lock()
	if !rn.active {
		rn.mu.Unlock()
		return
	}
	gen, c, token, every := rn.gen, rn.c, rn.token, rn.every
	rn.mu.Unlock()

	// The store call runs outside the lock so stop never waits on it.
	sent := time.Now()
	err := c.m.store.Renew(c.ctx, c.sk, token, c.m.cfg.lease)

	rn.mu.Lock()
	defer rn.mu.Unlock()
	if !rn.active || rn.gen != gen {
		return
	}
	switch {
	case err == nil:
		rn.held = sent // the new lease runs from before the call
		c.emit(OutcomeRenewed, 0, nil)
	case errors.Is(err, ErrNotOwner):
		c.emit(OutcomeOwnershipLost, 0, err)
		rn.lose(fmt.Errorf("%w: another request took the key over", ErrLeaseLost))
		return
	default:
		c.emit(OutcomeStoreError, 0, err)
		if time.Since(rn.held) >= c.m.cfg.lease {
			c.emit(OutcomeOwnershipLost, 0, ErrLeaseLost)
			rn.lose(fmt.Errorf("%w: no renewal got through for %v (%v)", ErrLeaseLost, c.m.cfg.lease, err))
		}
	}
	rn.t.Reset(every)
}

// lose cancels the handler's context once; rn.mu is held.
func (rn *renewer) lose(cause error) {
	if rn.lost {
		return
	}
	rn.lost = true
	rn.hctx.lose(cause)
}

// stop ends renewal for the current request; safe after a panic.
func (rn *renewer) stop() {
	rn.mu.Lock()
	rn.active = false
	if rn.t != nil {
		rn.t.Stop()
	}
	rn.c = call{}
	rn.token = ""
	rn.hctx = nil
	rn.mu.Unlock()
}
