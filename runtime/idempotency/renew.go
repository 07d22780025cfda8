package idempotency

import (
	"errors"
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
type renewer struct {
	mu     sync.Mutex
	t      *time.Timer
	gen    uint64
	active bool
	c      call // a copy: the call itself stays on the request's stack
	token  string
	every  time.Duration
}

func (rn *renewer) start(c *call, token string) {
	rn.mu.Lock()
	rn.gen++
	rn.active = true
	rn.c = *c
	rn.token = token
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
	err := c.m.store.Renew(c.ctx, c.sk, token, c.m.cfg.lease)

	rn.mu.Lock()
	defer rn.mu.Unlock()
	if !rn.active || rn.gen != gen {
		return
	}
	if err != nil {
		if errors.Is(err, ErrNotOwner) {
			c.m.emit(c.r, c.key, c.start, OutcomeOwnershipLost, 0, err)
			return
		}
		c.m.emit(c.r, c.key, c.start, OutcomeStoreError, 0, err)
	}
	rn.t.Reset(every)
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
	rn.mu.Unlock()
}
