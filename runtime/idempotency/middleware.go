package idempotency

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"time"
)

// Middleware provides idempotency handling
//
// Build it with [NewMiddleware]; it is safe for concurrent use. See the
// package documentation for the behaviour.
type Middleware struct {
	store ClaimStore
	seed  bool          // store is the seed adapter: no leases to renew
	ttl   time.Duration // resolved: WithTTL, else the store's TTL
	cfg   config
	hdrs  headerCache
}

// NewMiddleware creates a new idempotency middleware
//
// It uses store as a [ClaimStore] when it implements one (MemoryStore
// does), and otherwise through an adapter with weaker guarantees (see the
// package documentation). A nil store means [GetDefaultStore]. Without
// [WithTTL], the store's TTL governs.
func NewMiddleware(store Store, opts ...Option) *Middleware {
	if store == nil {
		store = GetDefaultStore()
	}
	cs, seed := claimStoreOf(store)
	return newMiddleware(cs, seed, opts)
}

// claimStoreOf returns store's ClaimStore, or the seed adapter over it.
func claimStoreOf(store Store) (cs ClaimStore, seed bool) {
	if cs, ok := store.(ClaimStore); ok {
		return cs, false
	}
	return newSeedStore(store), true
}

func newMiddleware(cs ClaimStore, seed bool, opts []Option) *Middleware {
	m := &Middleware{store: cs, seed: seed, cfg: defaultConfig()}
	for _, o := range opts {
		if o != nil {
			o(&m.cfg)
		}
	}
	m.ttl = m.cfg.ttl
	if m.ttl <= 0 {
		m.ttl = m.store.TTL()
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	return m
}

// Handler wraps next. The method value m.Handler fits oapi-codegen's
// MiddlewareFunc and chi's Use.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Serve(w, r, next)
	})
}

// TTL is how long this middleware keeps completed responses.
func (m *Middleware) TTL() time.Duration { return m.ttl }

var (
	errBadClaim  = errors.New("idempotency: store returned an unknown claim state")
	errBadRecord = errors.New("idempotency: store returned a completed claim without a valid record")
)

// Serve handles one request with next as the operation's handler. It is
// what Handler's wrapper calls, exposed so generated code can call it
// without allocating a handler per request.
func (m *Middleware) Serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if !m.applies(r.Method) {
		next.ServeHTTP(w, r)
		return
	}
	var start time.Time
	if m.cfg.observer != nil {
		start = time.Now()
	}
	key, present, kerr := requestKey(r.Header)
	if !present {
		if m.cfg.keyRequired {
			m.emit(r, "", start, OutcomeKeyMissing, http.StatusBadRequest, nil)
			probKeyMissing.write(w)
			return
		}
		m.emit(r, "", start, OutcomeNoKey, 0, nil)
		next.ServeHTTP(w, r)
		return
	}
	if kerr != keyOK {
		m.emit(r, "", start, OutcomeKeyInvalid, http.StatusBadRequest, kerr)
		probKeyInvalid[kerr].write(w)
		return
	}

	st := getState()
	if err := st.readBody(r, m.cfg.maxRequestBody); err != nil {
		p, o := &probUnreadable, OutcomeBodyUnreadable
		if err == errBodyTooLarge {
			p, o = &probTooLarge, OutcomeBodyTooLarge
		}
		m.emit(r, key, start, o, p.status, err)
		p.write(w)
		putState(st)
		return
	}
	c := call{
		m: m, w: w, r: r, next: next, st: st, key: key, start: start,
		fp:  st.fingerprint(r, m.cfg.route),
		sk:  st.storeKey(m, r, key),
		ctx: context.WithoutCancel(r.Context()),
	}
	c.claimLoop()
}

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
func (c *call) storeFailed(err error) {
	m := c.m
	if !m.cfg.failOpen {
		m.emit(c.r, c.key, c.start, OutcomeStoreError, probStore.status, err)
		probStore.write(c.w)
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
	if rc.status < 200 || (rc.status >= 500 && !m.cfg.storeServerErrors) {
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
	switch {
	case err == nil:
		m.emit(c.r, c.key, c.start, OutcomeCompleted, rec.Status, nil)
	case errors.Is(err, ErrNotOwner):
		m.emit(c.r, c.key, c.start, OutcomeOwnershipLost, rec.Status, err)
	default:
		m.emit(c.r, c.key, c.start, OutcomeStoreError, rec.Status, err)
	}
}

// replay writes a stored response. The stored value slices are shared, not
// copied (clipped, so an append cannot write into the record).
func (m *Middleware) replay(w http.ResponseWriter, rec *Record) {
	h := w.Header()
	for k, vs := range rec.Header {
		if skipHeader(k, m.cfg.replayCookies) || (rec.BodyOmitted && k == "Content-Length") {
			continue
		}
		h[k] = vs[:len(vs):len(vs)]
	}
	h[HeaderIdempotencyReplayed] = replayedTrue
	if rec.BodyOmitted {
		h[headerReplay] = replayOmitted
	}
	w.WriteHeader(rec.Status)
	if !rec.BodyOmitted && len(rec.Body) > 0 {
		w.Write(rec.Body)
	}
}

// applies reports whether the middleware guards requests of this method.
func (m *Middleware) applies(method string) bool {
	for _, x := range m.cfg.methods {
		if x == method {
			return true
		}
	}
	return false
}

// routeOf is the operation as events name it.
func (m *Middleware) routeOf(r *http.Request) string {
	if m.cfg.route != "" {
		return m.cfg.route
	}
	return r.Method + " " + r.URL.Path
}

func (m *Middleware) emit(r *http.Request, key string, start time.Time, o Outcome, status int, err error) {
	f := m.cfg.observer
	if f == nil {
		return
	}
	ev := Event{Outcome: o, Method: r.Method, Route: m.routeOf(r), Key: key, Status: status, Err: err}
	if !start.IsZero() {
		ev.Elapsed = time.Since(start)
	}
	f(ev)
}
