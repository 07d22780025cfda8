package idempotency

import (
	"errors"
	"sync"
	"time"
)

// renewer keeps a claim's lease alive while its handler runs, so a slow but
// live handler is never taken over. It uses a timer, not a goroutine, and
// stops for good on the first ErrNotOwner (the lease was taken over; the
// late Complete will be refused too and reported).
type renewer struct {
	// A copy of the call's fields, not a pointer to it: the call stays on
	// the request goroutine's stack.
	c     call
	token string
	every time.Duration

	mu      sync.Mutex
	stopped bool
	t       *time.Timer
}

func (c *call) startRenewal(token string) *renewer {
	rn := &renewer{c: *c, token: token, every: c.m.cfg.lease / 3}
	rn.mu.Lock()
	rn.t = time.AfterFunc(rn.every, rn.renew)
	rn.mu.Unlock()
	return rn
}

func (rn *renewer) renew() {
	rn.mu.Lock()
	stopped := rn.stopped
	rn.mu.Unlock()
	if stopped {
		return
	}
	c := &rn.c
	// The store call runs outside the lock so stop never waits on it.
	err := c.m.store.Renew(c.ctx, c.sk, rn.token, c.m.cfg.lease)
	rn.mu.Lock()
	defer rn.mu.Unlock()
	if rn.stopped {
		return
	}
	if err != nil {
		if errors.Is(err, ErrNotOwner) {
			c.m.emit(c.r, c.key, c.start, OutcomeOwnershipLost, 0, err)
			return
		}
		c.m.emit(c.r, c.key, c.start, OutcomeStoreError, 0, err)
	}
	rn.t.Reset(rn.every)
}

// stop ends renewal; safe on a nil renewer and after a panic.
func (rn *renewer) stop() {
	if rn == nil {
		return
	}
	rn.mu.Lock()
	rn.stopped = true
	rn.t.Stop()
	rn.mu.Unlock()
}
