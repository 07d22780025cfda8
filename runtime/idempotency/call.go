package idempotency

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// call is one keyed request on its way through the middleware.
type call struct {
	m      *Middleware
	w      http.ResponseWriter
	r      *http.Request
	next   http.Handler
	st     *reqState
	ctx    context.Context // r's values without its cancellation
	key    string          // the client's key
	sk     string          // the store's key
	fp     string          // the request fingerprint
	start  time.Time
	waited time.Time // when WithWait gives up; zero until the first wait
}

// claimLoop claims the key and acts on what the store says; with WithWait
// it polls an in-flight key until it completes or the wait runs out.
func (c *call) claimLoop() {
	m := c.m
	delay := 5 * time.Millisecond
	for {
		cl, err := m.store.Claim(c.ctx, c.sk, c.fp, m.cfg.lease)
		if err != nil {
			c.storeFailed(err)
			return
		}
		switch cl.State {
		case Completed:
			rec := cl.Record
			if rec == nil || rec.Status < 200 || rec.Status > 999 {
				c.storeFailed(errBadRecord)
				return
			}
			fp := cl.Fingerprint
			if fp == "" {
				fp = rec.Fingerprint
			}
			if fp != "" && fp != c.fp {
				c.reject(&probReused, OutcomeMismatch)
				return
			}
			m.replay(c.w, rec)
			m.emit(c.r, c.key, c.start, OutcomeReplayed, rec.Status, nil)
			putState(c.st)
			return
		case Acquired:
			c.run(cl.Token, cl.TakenOver)
			return
		case InFlight:
			if cl.Fingerprint != "" && cl.Fingerprint != c.fp {
				c.reject(&probReused, OutcomeMismatch)
				return
			}
			if !c.wait(&delay) {
				c.reject(&probInUse, OutcomeConflict)
				return
			}
		default:
			c.storeFailed(errBadClaim)
			return
		}
	}
}

// wait sleeps before the next claim attempt; false when WithWait is off,
// its time is up, or the client went away.
func (c *call) wait(delay *time.Duration) bool {
	max := c.m.cfg.wait
	if max <= 0 {
		return false
	}
	now := time.Now()
	if c.waited.IsZero() {
		c.waited = now.Add(max)
	}
	left := c.waited.Sub(now)
	if left <= 0 {
		return false
	}
	d := min(*delay, left)
	*delay = min(*delay*2, 100*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.r.Context().Done():
		return false
	}
}

func (c *call) reject(p *problem, o Outcome) {
	c.m.emit(c.r, c.key, c.start, o, p.status, nil)
	p.write(c.w)
	putState(c.st)
}

// storeFailed answers 503, or with WithFailOpen runs the handler unguarded.
// A full store gets a 503 of its own: the store is up, but has no room
// until live claims finish.
func (c *call) storeFailed(err error) {
	m := c.m
	if !m.cfg.failOpen {
		p := &probStore
		if errors.Is(err, ErrStoreFull) {
			p = &probStoreFull
		}
		m.emit(c.r, c.key, c.start, OutcomeStoreError, p.status, err)
		p.write(c.w)
		putState(c.st)
		return
	}
	m.emit(c.r, c.key, c.start, OutcomeFailOpen, 0, err)
	r2 := new(http.Request)
	*r2 = *c.r
	c.giveBody(r2)
	c.next.ServeHTTP(c.w, r2)
	putState(c.st)
}

// giveBody hands the buffered body to the handler's request.
func (c *call) giveBody(r2 *http.Request) {
	if c.r.Body == nil || c.r.Body == http.NoBody || c.r.ContentLength == 0 {
		return
	}
	c.st.br = bodyReader{b: c.st.body}
	r2.Body = &c.st.br
	r2.ContentLength = int64(len(c.st.body))
}

// run executes the handler under a claimed key and stores its response.
func (c *call) run(token string, takenOver bool) {
	m, st := c.m, c.st
	if takenOver {
		m.emit(c.r, c.key, c.start, OutcomeExpiredTakeover, 0, nil)
	} else {
		m.emit(c.r, c.key, c.start, OutcomeAcquired, 0, nil)
	}
	now := time.Now()
	info := &Info{Key: c.key, CreatedAt: now, ExpiresAt: now.Add(m.ttl)}
	r2 := c.r.WithContext(context.WithValue(c.r.Context(), infoKey{}, info))
	c.giveBody(r2)
	st.rec.reset(c.w, m.cfg.maxResponseBody, m.cfg.replayCookies, &m.hdrs)

	renewing := !m.seed // the seed adapter has no lease
	if renewing {
		st.rn.start(c, token)
	}
	returned := false
	defer func() {
		if returned {
			return
		}
		// The handler panicked (or called runtime.Goexit): release the key
		// so a retry can run, and let the panic go on. st stays out of the
		// pool; the dying handler may still reference it.
		if renewing {
			st.rn.stop()
		}
		err := m.store.Abandon(c.ctx, c.sk, token)
		m.emit(c.r, c.key, c.start, OutcomeAbandoned, 0, err)
	}()
	c.next.ServeHTTP(&st.rec, r2)
	returned = true
	if renewing {
		st.rn.stop()
	}
	c.complete(token, info)
	putState(st)
}

// complete stores the recorded response, or releases the key for a 5xx.
func (c *call) complete(token string, info *Info) {
	m, rc := c.m, &c.st.rec
	rc.finish()
	if rc.hijacked || rc.status < 200 || (rc.status >= 500 && !m.cfg.storeServerErrors) || isInUseAnswer(rc) {
		err := m.store.Abandon(c.ctx, c.sk, token)
		m.emit(c.r, c.key, c.start, OutcomeNotStored, rc.status, err)
		return
	}
	rec := &Record{
		Fingerprint: c.fp,
		Status:      rc.status,
		Header:      rc.header,
		BodyOmitted: rc.omitted,
		CreatedAt:   info.CreatedAt,
		ExpiresAt:   info.ExpiresAt,
	}
	if !rc.omitted && len(rc.body) > 0 {
		rec.Body = bytes.Clone(rc.body)
	}
	rc.header = nil // now owned by rec
	err := m.store.Complete(c.ctx, c.sk, token, rec)
	var refused error
	if err != nil && len(rec.Body) > 0 && (errors.Is(err, ErrRecordTooLarge) || errors.Is(err, ErrStoreFull)) {
		// The client already has its response, so the operation must not
		// run again: keep status and headers, which take little room,
		// rather than let the lease lapse with nothing stored.
		refused = err
		lean := *rec
		lean.Body, lean.BodyOmitted = nil, true
		rec = &lean
		err = m.store.Complete(c.ctx, c.sk, token, rec)
	}
	switch {
	case err == nil:
		m.emit(c.r, c.key, c.start, OutcomeCompleted, rec.Status, refused)
	case errors.Is(err, ErrNotOwner):
		m.emit(c.r, c.key, c.start, OutcomeOwnershipLost, rec.Status, err)
	default:
		// The claim is kept, not abandoned: retries get 409 until its lease
		// ends (renewal has stopped), and only then may one run again.
		m.emit(c.r, c.key, c.start, OutcomeStoreError, rec.Status, err)
	}
}

// inUseType is the problem type of this middleware's own 409.
var inUseType = []byte(`"` + contract.KeyInUse.Type() + `"`)

// isInUseAnswer reports a recorded 409 that is an idempotency layer's "in
// flight" answer rather than the operation's: an idemgen service behind
// this one (a gateway and its backend on one store) found the key claimed.
// The operation did not run, so storing it would replay a 409 for the whole
// TTL; the key is released instead. A handler's own 409 is stored as usual.
func isInUseAnswer(rc *ResponseRecorder) bool {
	return rc.status == http.StatusConflict && !rc.omitted && bytes.Contains(rc.body, inUseType)
}
