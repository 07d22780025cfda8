package idemclient

import (
	"net/http"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// call is one logical call under way: the request, its key, its limits and
// the attempts made so far.
type call struct {
	t      *Transport
	req    *http.Request
	record *Call // the caller's, or nil

	key         string
	ownKey      bool // the transport chose the key, so it sets the header
	once        bool // the body cannot be sent again
	maxAttempts int
	window      time.Duration // retries start no later than this after the first attempt
	attempts    int
}

// run sends the request until an answer is final, then returns it.
func (c *call) run() (*http.Response, error) {
	ctx := c.req.Context()
	deadline := c.t.clock().Add(c.window)
	for {
		resp, err := c.attempt()
		v := c.judge(resp, err)
		if v.final {
			return c.finish(resp, err, v)
		}
		delay, ok := c.delay(v, deadline)
		if !ok {
			return c.finish(resp, err, verdict{final: true, problem: v.problem})
		}
		if resp != nil {
			drain(resp)
		}
		if err := c.t.wait(ctx, delay); err != nil {
			c.report(nil)
			return nil, ctx.Err()
		}
	}
}

// delay is how long to wait before the next attempt, and false when no
// attempt may follow: attempts used up, or a wait that would end past the
// call's deadline or the request context's.
func (c *call) delay(v verdict, deadline time.Time) (time.Duration, bool) {
	if c.once || c.attempts >= c.maxAttempts {
		return 0, false
	}
	d := v.after
	if !v.hasAfter {
		d = c.t.backoff(c.attempts)
	}
	at := c.t.clock().Add(d)
	if at.After(deadline) {
		return 0, false
	}
	if dl, ok := c.req.Context().Deadline(); ok && at.After(dl) {
		return 0, false
	}
	return d, true
}

// finish returns the final answer: a refusal of the idempotency layer as
// a *ProblemError with the response closed, anything else as it came.
func (c *call) finish(resp *http.Response, err error, v verdict) (*http.Response, error) {
	if err != nil {
		c.report(nil)
		if ctxErr := c.req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	if v.problem != nil {
		c.report(nil)
		drain(resp)
		pe := *v.problem
		pe.Key, pe.Attempts = c.key, c.attempts
		return nil, &pe
	}
	c.report(resp)
	return resp, nil
}

// report fills the caller's Call.
func (c *call) report(resp *http.Response) {
	if c.record == nil {
		return
	}
	c.record.Key = c.key
	c.record.Attempts = c.attempts
	c.record.Replayed = resp != nil && resp.Header.Get(contract.HeaderReplayed) == "true"
}
