package idempotency

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// runState is what a claimed request needs beyond the pooled reqState,
// made in one allocation: the handler's request and context, the Info,
// the context of the store calls, and the record. It is never pooled or
// reused: a handler may keep its request or context after it returned
// (a goroutine waiting on Done, a log line written later), and a late
// renewal callback may still hold the store context (see renewer).
type runState struct {
	req   http.Request
	ctx   handlerCtx
	store detachedCtx
	rec   Record
}

// handlerCtx is the context a claimed request's handler runs with: r's
// context, with the [Info] (see FromContext) and, unless the store has
// no leases, cancellation: with ErrLeaseLost as the cause when the lease
// is lost (renew.go), with context.Canceled once the run is over.
//
// The cancellable context is made only when something needs it: the
// first Done (a select, a child context, context.AfterFunc: each asks
// for Done first), a lost lease, or any use after the run is over. A
// handler that never waits on its context (no database or outbound call
// made with it) so costs no context.WithCancelCause, and in a server no
// registration with r's context; one that does pays what it did before.
// Until then every method answers what that context would: Err is r's
// context's, and context.Cause finds r's context's cause through Value,
// which is what the child would have taken over. After it is made,
// everything goes through it, so Cause finds its cause.
type handlerCtx struct {
	parent  context.Context
	info    Info
	cancels bool // false for AdaptStore's adapter, whose claims have no lease

	made   atomic.Bool // cc and cancel are set; written under mu
	ended  atomic.Bool // the run is over; written under mu
	mu     sync.Mutex
	cc     context.Context
	cancel context.CancelCauseFunc
}

func (h *handlerCtx) Deadline() (time.Time, bool) { return h.parent.Deadline() }

func (h *handlerCtx) Done() <-chan struct{} {
	if !h.cancels {
		return h.parent.Done()
	}
	return h.cancellable().Done()
}

func (h *handlerCtx) Err() error {
	switch {
	case h.made.Load():
		return h.cc.Err()
	case h.cancels && h.ended.Load():
		return h.cancellable().Err()
	}
	return h.parent.Err()
}

func (h *handlerCtx) Value(key any) any {
	switch {
	case key == infoKey{}:
		return &h.info
	case h.made.Load():
		return h.cc.Value(key)
	case h.cancels && h.ended.Load():
		return h.cancellable().Value(key)
	}
	return h.parent.Value(key)
}

func (h *handlerCtx) String() string { return "idempotency handler context" }

// cancellable makes the cancellable context if it is not there yet; one
// made after the run is over is cancelled at once.
func (h *handlerCtx) cancellable() context.Context {
	if h.made.Load() {
		return h.cc
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.made.Load() {
		h.cc, h.cancel = context.WithCancelCause(h.parent)
		if h.ended.Load() {
			h.cancel(nil)
		}
		h.made.Store(true)
	}
	return h.cc
}

// lose cancels the context with cause, the lease being lost.
func (h *handlerCtx) lose(cause error) {
	h.cancellable()
	h.cancel(cause)
}

// end marks the run over: the context is cancelled, now if it was made,
// else as soon as anyone looks.
func (h *handlerCtx) end() {
	if !h.cancels {
		return
	}
	h.mu.Lock()
	h.ended.Store(true)
	made := h.made.Load()
	h.mu.Unlock()
	if made {
		h.cancel(nil)
	}
}

// detachedCtx is context.WithoutCancel(parent) without the allocation:
// r's values, for store calls that must not fail because the client went
// away (a response must be stored even then).
type detachedCtx struct{ parent context.Context }

func (d *detachedCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (d *detachedCtx) Done() <-chan struct{}       { return nil }
func (d *detachedCtx) Err() error                  { return nil }
func (d *detachedCtx) Value(key any) any           { return d.parent.Value(key) }
func (d *detachedCtx) String() string              { return "idempotency store context" }
