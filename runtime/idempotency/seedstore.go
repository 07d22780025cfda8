package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/idemgen/idemgen/internal/seedheader"
)

// AdaptStore returns a [ClaimStore] over s, a store that implements only
// the seed [Store] interface, so that it plugs into [New], [NewRouter],
// [NewRouteMiddleware] and the generated NewIdempotentServer and
// NewIdempotencyMiddleware with one call:
//
//	srv := api.NewIdempotentServer(impl, idempotency.AdaptStore(seedOnly))
//
// A store that already implements ClaimStore is returned as it is, and nil
// as nil (which New takes for [GetDefaultStore]), so New(AdaptStore(s),
// opts...) is NewMiddleware(s, opts...) for every s. Adapt a store once and
// share the result: the adapter tracks this process's owners.
//
// The middleware behaves the same on top of the adapter, with these
// limits, all of them inherent to the seed interface:
//
//   - No fencing. Lock has no owner token, so ownership is tracked in this
//     process only. Two processes sharing one seed store are serialised only
//     as far as the store's own Lock is atomic across them.
//   - No lease and no takeover. A Lock held by a process that crashed stays
//     held until the store itself forgets it; until then every retry of
//     that key gets 409. The middleware does not renew leases over it.
//   - In-flight details are local. Another process's in-flight request
//     shows no fingerprint, so it gets 409, never 422.
//   - Single-valued headers. CachedResponse keeps one value per name, so
//     repeated headers are joined with ", " and only the first Set-Cookie
//     survives.
//   - No errors. The seed methods cannot fail, so the middleware never
//     answers 503 over such a store, and a store that silently drops a Set
//     makes the next retry run the handler again.
//   - Its TTL is [DefaultTTL] unless the middleware is given [WithTTL];
//     expiry is checked against CachedResponse.ExpiresAt as well.
//
// The fingerprint and the omitted-body flag ride in the Headers map under
// names that cannot be HTTP field names (":idem-fingerprint",
// ":idem-omitted"), so a store that serialises CachedResponse keeps them.
func AdaptStore(s Store) ClaimStore {
	if s == nil {
		return nil
	}
	if cs, ok := s.(ClaimStore); ok {
		return cs
	}
	return &seedStore{s: s, ttl: DefaultTTL, owners: make(map[string]seedOwner)}
}

// seedStore is the adapter AdaptStore returns for a seed-only store.
type seedStore struct {
	s   Store
	ttl time.Duration

	mu     sync.Mutex
	owners map[string]seedOwner
}

// seedOwner is the claim this process holds on a key it Locked.
type seedOwner struct{ token, fingerprint string }

const (
	seedFingerprint = ":idem-fingerprint"
	seedOmitted     = ":idem-omitted"
)

func (a *seedStore) TTL() time.Duration { return a.ttl }

func (a *seedStore) Claim(_ context.Context, key, fingerprint string, _ time.Duration) (Claim, error) {
	if rec := a.get(key); rec != nil {
		return Claim{State: Completed, Fingerprint: rec.Fingerprint, Record: rec}, nil
	}
	if !a.s.Lock(key) {
		a.mu.Lock()
		o, ok := a.owners[key]
		a.mu.Unlock()
		c := Claim{State: InFlight}
		if ok {
			c.Fingerprint = o.fingerprint
		}
		return c, nil
	}
	// A request may have completed between Get and Lock.
	if rec := a.get(key); rec != nil {
		a.s.Unlock(key)
		return Claim{State: Completed, Fingerprint: rec.Fingerprint, Record: rec}, nil
	}
	token := newToken()
	a.mu.Lock()
	a.owners[key] = seedOwner{token: token, fingerprint: fingerprint}
	a.mu.Unlock()
	return Claim{State: Acquired, Token: token}, nil
}

func (a *seedStore) Complete(_ context.Context, key, token string, rec *Record) error {
	if !a.release(key, token) {
		return ErrNotOwner
	}
	a.s.Set(key, toCached(rec))
	a.s.Unlock(key)
	return nil
}

func (a *seedStore) Abandon(_ context.Context, key, token string) error {
	if !a.release(key, token) {
		return ErrNotOwner
	}
	a.s.Unlock(key)
	return nil
}

// Renew only checks ownership: there is no lease to extend (and the
// middleware does not call it over the adapter).
func (a *seedStore) Renew(_ context.Context, key, token string, _ time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if o, ok := a.owners[key]; !ok || o.token != token {
		return ErrNotOwner
	}
	return nil
}

// release forgets token's ownership of key; false if it did not own it.
func (a *seedStore) release(key, token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.owners[key]
	if !ok || o.token != token {
		return false
	}
	delete(a.owners, key)
	return true
}

// get returns the live record under key, dropping an expired one.
func (a *seedStore) get(key string) *Record {
	cr, ok := a.s.Get(key)
	if !ok || cr == nil {
		return nil
	}
	if !cr.ExpiresAt.IsZero() && !time.Now().Before(cr.ExpiresAt) {
		a.s.Delete(key)
		return nil
	}
	return fromCached(cr)
}

func toCached(rec *Record) *CachedResponse {
	h := seedheader.Flatten(rec.Header)
	h[seedFingerprint] = rec.Fingerprint
	if rec.BodyOmitted {
		h[seedOmitted] = "1"
	}
	return &CachedResponse{
		StatusCode: rec.Status,
		Headers:    h,
		Body:       rec.Body,
		CreatedAt:  rec.CreatedAt,
		ExpiresAt:  rec.ExpiresAt,
	}
}

func fromCached(cr *CachedResponse) *Record {
	rec := &Record{
		Status:    cr.StatusCode,
		Header:    seedheader.Expand(cr.Headers),
		Body:      cr.Body,
		CreatedAt: cr.CreatedAt,
		ExpiresAt: cr.ExpiresAt,
	}
	if rec.Header == nil {
		rec.Header = http.Header{}
	}
	if v, ok := rec.Header[seedFingerprint]; ok {
		rec.Fingerprint = v[0]
		delete(rec.Header, seedFingerprint)
	}
	if v, ok := rec.Header[seedOmitted]; ok {
		rec.BodyOmitted = v[0] == "1"
		delete(rec.Header, seedOmitted)
	}
	return rec
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
