package idempotency

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Middleware provides idempotency handling
//
// Build it with [New] (or the seed's [NewMiddleware]); it is safe for
// concurrent use. See the package documentation for the behaviour.
type Middleware struct {
	store ClaimStore
	tx    TxStore       // store, for WithTransaction; nil without it
	seed  bool          // store is AdaptStore's adapter: no leases to renew
	lend  bool          // Complete copies a record's body: no clone (recordcopy.go)
	ttl   time.Duration // resolved: WithTTL, else the store's TTL
	cfg   config
	hdrs  headerCache
	names routeNames // the events' route names without WithRoute
}

// New returns the middleware over store, the contract a store implements
// (MemoryStore, redisstore and pgstore do; [AdaptStore] turns a seed-only
// [Store] into one). A nil store means [GetDefaultStore]. Without
// [WithTTL], the store's TTL governs.
func New(store ClaimStore, opts ...Option) *Middleware {
	if store == nil {
		store = GetDefaultStore()
	}
	m := &Middleware{store: store, cfg: defaultConfig()}
	_, m.seed = store.(*seedStore)
	for _, o := range opts {
		if o != nil {
			o(&m.cfg)
		}
	}
	if m.cfg.transaction {
		ts, ok := store.(TxStore)
		if !ok {
			panic(fmt.Sprintf("idempotency: WithTransaction needs a store that implements TxStore (pgstore, mysqlstore), not %T; pass WithTransaction(false) to complete this operation's key on its own", store))
		}
		m.tx = ts
	}
	m.lend = m.tx == nil && storeCopiesBody(store) // Tx.Commit is not Complete
	m.ttl = m.cfg.ttl
	if m.ttl <= 0 {
		m.ttl = m.store.TTL()
	}
	if m.ttl <= 0 {
		m.ttl = DefaultTTL
	}
	return m
}

// NewMiddleware creates a new idempotency middleware
//
// It is New(AdaptStore(store), opts...): store is used as a [ClaimStore]
// when it implements one (MemoryStore does), and otherwise through the
// adapter, with the weaker guarantees [AdaptStore] lists. A nil store
// means [GetDefaultStore].
func NewMiddleware(store Store, opts ...Option) *Middleware {
	return New(AdaptStore(store), opts...)
}

// Handler wraps next. The method value m.Handler fits oapi-codegen's
// MiddlewareFunc and chi's Use. A nil next means http.DefaultServeMux, as
// for http.Server.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	if next == nil {
		next = http.DefaultServeMux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.Serve(w, r, next)
	})
}

var (
	errBadClaim  = errors.New("idempotency: store returned an unknown claim state")
	errBadRecord = errors.New("idempotency: store returned a completed claim without a valid record")
)

// Serve handles one request with next as the operation's handler. It is
// what Handler's wrapper calls, exposed so generated code can call it
// without allocating a handler per request.
//
// next gets a [*ResponseRecorder] over w when it runs under a claimed key,
// and w itself when the request passes through unrecorded (a method m
// does not guard, no key, an outer layer's claim, WithFailOpen on a
// failing store). Framework adapters rely on that to tell the two apart.
//
// A keyed request that an outer idempotency layer already runs under its
// claim (its context carries that layer's [Info]) goes straight to next:
// claiming the key again would find the outer claim in flight and answer
// 409, and the outer layer would store that 409 for the whole TTL.
//
// With [WithKeyFromBody] the body is read before the key is known and the
// header is not looked at; the answers are the same.
func (m *Middleware) Serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if next == nil {
		next = http.DefaultServeMux
	}
	if !m.applies(r.Method) {
		next.ServeHTTP(w, r)
		return
	}
	var start time.Time
	if m.cfg.observer != nil {
		start = time.Now()
	}
	if m.cfg.bodyKey != nil {
		m.serveBodyKey(w, r, next, start) // WithKeyFromBody: the body first
		return
	}
	key, present, kerr := requestKey(r.Header)
	if !present {
		if m.cfg.keyRequired {
			m.refuseMissing(w, r, start)
			return
		}
		m.emit(r, "", start, OutcomeNoKey, 0, nil)
		next.ServeHTTP(w, r)
		return
	}
	if guarded(r.Context()) {
		next.ServeHTTP(w, r) // an outer layer holds this key (see above)
		return
	}
	if kerr != keyOK {
		m.refuseInvalid(w, r, start, kerr)
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
	m.claim(w, r, next, st, key, start)
}

// CheckKey answers a request whose Idempotency-Key header Serve would
// refuse (absent where m requires a key, or not a valid key) with the
// same problem and event as Serve, and reports whether the request may go
// on. It reads nothing but the method and the headers, and claims
// nothing: Serve still runs the operation and checks the key again.
//
// It is for code that has to look at the key before Serve can: a server
// that oapi-codegen generated from idemgen's augmented spec binds the
// Idempotency-Key header itself, and would otherwise answer a missing or
// repeated key in its own words, before its handler (and so Serve) is
// reached. The generated registration functions put CheckKey in front of
// that binding.
//
// A middleware that takes the key from the body ([WithKeyFromBody]) has
// no key in the headers to check: CheckKey lets every request go on, and
// Serve checks the body's key.
func (m *Middleware) CheckKey(w http.ResponseWriter, r *http.Request) bool {
	if !m.applies(r.Method) || m.cfg.bodyKey != nil {
		return true
	}
	var start time.Time
	if m.cfg.observer != nil {
		start = time.Now()
	}
	_, present, kerr := requestKey(r.Header)
	switch {
	case !present:
		if m.cfg.keyRequired {
			m.refuseMissing(w, r, start)
			return false
		}
	case guarded(r.Context()):
		// An outer layer holds the key, so it was valid there.
	case kerr != keyOK:
		m.refuseInvalid(w, r, start, kerr)
		return false
	}
	return true
}

// refuseMissing answers a request without the key m requires.
func (m *Middleware) refuseMissing(w http.ResponseWriter, r *http.Request, start time.Time) {
	m.emit(r, "", start, OutcomeKeyMissing, http.StatusBadRequest, nil)
	probKeyMissing.write(w)
}

// refuseInvalid answers a request whose key is not a valid one.
func (m *Middleware) refuseInvalid(w http.ResponseWriter, r *http.Request, start time.Time, kerr keyError) {
	m.emit(r, "", start, OutcomeKeyInvalid, http.StatusBadRequest, kerr)
	probKeyInvalid[kerr].write(w)
}

// replay writes a stored response. The stored value slices are shared, not
// copied (clipped, so an append cannot write into the record). echo is
// the retry's key as WithEchoKey sends it back (see call.echo).
func (m *Middleware) replay(w http.ResponseWriter, echo []string, rec *Record) {
	h := w.Header()
	for k, vs := range rec.Header {
		if skipHeader(k, m.cfg.replayCookies) || (rec.BodyOmitted && k == "Content-Length") {
			continue
		}
		h[k] = vs[:len(vs):len(vs)]
	}
	h[HeaderIdempotencyReplayed] = replayedTrue
	if m.cfg.stripeReplayed {
		h[headerStripeReplayed] = replayedTrue
	}
	if m.cfg.echoKey {
		h[HeaderIdempotencyKey] = echo
	}
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
		if strings.EqualFold(x, method) { // err on guarding: "post" is POST
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
	return m.names.name(r.Method, r.URL.Path)
}

func (m *Middleware) emit(r *http.Request, key string, start time.Time, o Outcome, status int, err error) {
	if m.cfg.observer != nil {
		m.emitAs(m.routeOf(r), r, key, start, o, status, err)
	}
}

// emitAs reports an outcome to the observer, which is set.
func (m *Middleware) emitAs(route string, r *http.Request, key string, start time.Time, o Outcome, status int, err error) {
	ev := Event{Outcome: o, Method: r.Method, Route: route, Key: key, Status: status, Err: err, Context: r.Context()}
	ev.Operation = m.cfg.operation
	if ev.Operation == "" {
		ev.Operation = ev.Route
	}
	if !start.IsZero() {
		ev.Elapsed = time.Since(start)
	}
	m.cfg.observer(ev)
}
