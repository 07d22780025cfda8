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
	ctx    context.Context // r's values without its cancellation (detachedCtx)
	key    string          // the client's key
	sk     string          // the store's key
	fp     string          // the request fingerprint
	start  time.Time
	waited time.Time // when WithWait gives up; zero until the first wait
	route  string    // the events' route name, once the first is sent
}

// emit reports an outcome of the call, naming its route once per call.
func (c *call) emit(o Outcome, status int, err error) {
	if c.m.cfg.observer == nil {
		return
	}
	if c.route == "" {
		c.route = c.m.routeOf(c.r)
	}
	c.m.emitAs(c.route, c.r, c.key, c.start, o, status, err)
}

// claim runs the claim loop for a request with a valid key. The store
// calls of the claim go through st's detached context, which costs no
// allocation; run gives a claimed request one of its own.
func (m *Middleware) claim(w http.ResponseWriter, r *http.Request, next http.Handler, st *reqState, key string, start time.Time) {
	st.dctx = detachedCtx{parent: r.Context()}
	c := call{m: m, w: w, r: r, next: next, st: st, key: key, start: start, ctx: &st.dctx}
	c.fp, c.sk = st.identify(m, r, key)
	c.claimLoop()
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
			var echo []string
			if m.cfg.echoKey {
				echo = c.echo()
			}
			m.replay(c.w, echo, rec)
			c.emit(OutcomeReplayed, rec.Status, nil)
			putState(c.st)
			return
		case Acquired:
			c.run(cl)
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

// echo is the value WithEchoKey sends back: the header as the client sent
// it, or the key a body carried (WithKeyFromBody).
func (c *call) echo() []string {
	if c.m.cfg.bodyKey != nil {
		return []string{c.key}
	}
	return c.r.Header[HeaderIdempotencyKey]
}

func (c *call) reject(p *problem, o Outcome) {
	c.emit(o, p.status, nil)
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
		c.emit(OutcomeStoreError, p.status, err)
		p.write(c.w)
		putState(c.st)
		return
	}
	c.emit(OutcomeFailOpen, 0, err)
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
func (c *call) run(cl Claim) {
	m, st, token := c.m, c.st, cl.Token
	if cl.TakenOver {
		c.emit(OutcomeExpiredTakeover, 0, nil)
	} else {
		c.emit(OutcomeAcquired, 0, nil)
	}
	// Everything the run needs but st, in one allocation (see runState).
	// From here the store calls go through its context: a late renewal
	// may still use it after st went back to the pool.
	rs := new(runState)
	rs.store = detachedCtx{parent: c.r.Context()}
	c.ctx = &rs.store
	now := time.Now()
	info := &rs.ctx.info
	*info = Info{Key: c.key, CreatedAt: now, ExpiresAt: now.Add(m.ttl), Fence: cl.Fence, TakenOver: cl.TakenOver}
	renewing := !m.seed // the seed adapter has no lease
	// Cancelled with ErrLeaseLost when the lease is lost (renew.go).
	rs.ctx.parent, rs.ctx.cancels = c.r.Context(), renewing
	defer rs.ctx.end()
	var hctx context.Context = &rs.ctx
	var tx Tx
	var held *heldWriter
	out := c.w
	if m.tx != nil {
		var err error
		if hctx, tx, err = m.tx.BeginTx(hctx, c.sk, token); err != nil {
			aerr := m.store.Abandon(c.ctx, c.sk, token)
			c.emit(OutcomeStoreError, probStore.status, errors.Join(err, aerr))
			probStore.write(c.w)
			putState(st)
			return
		}
		held = newHeldWriter(m.cfg.maxResponseBody)
		out = held
	}
	rs.req = *c.r.WithContext(hctx) // inlined: the copy WithContext makes stays on the stack
	r2 := &rs.req
	c.giveBody(r2)
	st.rec.reset(out, m.cfg.maxResponseBody, m.cfg.replayCookies, &m.hdrs)
	if m.cfg.echoKey {
		// Set before the handler runs, so it is part of the answer and of
		// the record, whatever the handler writes.
		out.Header()[HeaderIdempotencyKey] = c.echo()
	}

	if renewing {
		st.rn.start(c, token, &rs.ctx, now)
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
		if tx != nil {
			_ = tx.Rollback(c.ctx)
		}
		err := m.store.Abandon(c.ctx, c.sk, token)
		c.emit(OutcomeAbandoned, 0, err)
	}()
	c.next.ServeHTTP(&st.rec, r2)
	returned = true
	// The lease is renewed until the response is stored: a retry of the
	// client's must not take the key over while Complete is retried.
	if tx != nil {
		c.commit(tx, held, token, rs)
	} else {
		c.complete(token, rs)
	}
	if renewing {
		st.rn.stop()
	}
	putState(st)
}

// storable reports whether the recorded response is one the middleware
// keeps; otherwise the key is released, so a retry runs again.
func (c *call) storable() bool {
	rc := &c.st.rec
	return !rc.hijacked && rc.status >= 200 && (rc.status < 500 || c.m.cfg.storeServerErrors) && !isInUseAnswer(rc)
}

// record is the stored form of the recorded response, in rs.
func (c *call) record(rs *runState) *Record {
	rc, info := &c.st.rec, &rs.ctx.info
	rec := &rs.rec
	*rec = Record{
		Fingerprint: c.fp,
		Status:      rc.status,
		Header:      rc.header,
		BodyOmitted: rc.omitted,
		CreatedAt:   info.CreatedAt,
		ExpiresAt:   info.ExpiresAt,
	}
	switch {
	case rc.omitted || len(rc.body) == 0:
	case c.m.lend:
		// The store copies it before Complete returns; st, and so the
		// buffer, is not reused before then.
		rec.Body = rc.body[:len(rc.body):len(rc.body)]
	default:
		rec.Body = bytes.Clone(rc.body)
	}
	rc.header = nil // now owned by rec
	return rec
}

// lean is rec without its body, for a store that cannot hold the body.
func lean(rec *Record) *Record {
	l := *rec
	l.Body, l.BodyOmitted = nil, true
	return &l
}

// tooLarge reports a refusal that the record without its body may pass.
func tooLarge(err error, rec *Record) bool {
	return err != nil && len(rec.Body) > 0 && (errors.Is(err, ErrRecordTooLarge) || errors.Is(err, ErrStoreFull))
}

// complete stores the recorded response, or releases the key for a 5xx.
func (c *call) complete(token string, rs *runState) {
	m, rc := c.m, &c.st.rec
	rc.finish()
	if !c.storable() {
		err := m.store.Abandon(c.ctx, c.sk, token)
		c.emit(OutcomeNotStored, rc.status, err)
		return
	}
	rec := c.record(rs)
	err := m.store.Complete(c.ctx, c.sk, token, rec)
	var refused error
	if tooLarge(err, rec) {
		// The client already has its response, so the operation must not
		// run again: keep status and headers, which take little room,
		// rather than let the lease lapse with nothing stored.
		refused, rec = err, lean(rec)
		err = m.store.Complete(c.ctx, c.sk, token, rec)
	}
	if err != nil && !errors.Is(err, ErrNotOwner) && m.cfg.completeRetry > 0 {
		err = c.retryComplete(token, rec, err)
	}
	switch {
	case err == nil:
		c.emit(OutcomeCompleted, rec.Status, refused)
	case errors.Is(err, ErrNotOwner):
		c.emit(OutcomeOwnershipLost, rec.Status, err)
	default:
		// The claim is kept, not abandoned: retries get 409 until its lease
		// ends (renewal stops now), and only then may one run again.
		c.emit(OutcomeStoreError, rec.Status, err)
	}
}

// retryComplete tries Complete again, with backoff, until it succeeds,
// the store says the token no longer owns the key, or WithCompleteRetry's
// time is up; the renewer keeps the lease meanwhile. The client is given
// its response first: it has nothing to wait for.
func (c *call) retryComplete(token string, rec *Record, err error) error {
	_ = http.NewResponseController(c.w).Flush()
	deadline := time.Now().Add(c.m.cfg.completeRetry)
	delay := 10 * time.Millisecond
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		time.Sleep(min(delay, left))
		delay = min(2*delay, time.Second)
		err = c.m.store.Complete(c.ctx, c.sk, token, rec)
		if tooLarge(err, rec) {
			rec = lean(rec)
			err = c.m.store.Complete(c.ctx, c.sk, token, rec)
		}
		if err == nil || errors.Is(err, ErrNotOwner) {
			return err
		}
	}
}

// commit ends a transactional operation: it commits the handler's writes
// with the recorded response, fenced by the claim's token, and only then
// sends the held response to the client. Anything not stored rolls back.
func (c *call) commit(tx Tx, held *heldWriter, token string, rs *runState) {
	m, rc := c.m, &c.st.rec
	rc.finish()
	if held.over || !c.storable() {
		rerr := tx.Rollback(c.ctx)
		aerr := m.store.Abandon(c.ctx, c.sk, token)
		c.emit(OutcomeNotStored, rc.status, errors.Join(rerr, aerr))
		if held.over {
			http.Error(c.w, errHeldTooLarge.Error(), http.StatusInternalServerError)
			return
		}
		held.send(c.w)
		return
	}
	rec := c.record(rs)
	err := tx.Commit(c.ctx, rec)
	var refused error
	if tooLarge(err, rec) {
		refused, rec = err, lean(rec)
		err = tx.Commit(c.ctx, rec)
	}
	switch {
	case err == nil:
		c.emit(OutcomeCompleted, rec.Status, refused)
		held.send(c.w)
	case errors.Is(err, ErrNotOwner):
		// Another request took the key over: this run's writes rolled
		// back, and the key is that request's.
		c.emit(OutcomeOwnershipLost, rec.Status, err)
		probInUse.write(c.w)
	default:
		// Nothing committed, or the reply was lost after a commit: the
		// release below is refused then (the key is completed) and a
		// retry replays; otherwise a retry runs once.
		_ = tx.Rollback(c.ctx)
		aerr := m.store.Abandon(c.ctx, c.sk, token)
		c.emit(OutcomeStoreError, probStore.status, errors.Join(err, aerr))
		probStore.write(c.w)
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
