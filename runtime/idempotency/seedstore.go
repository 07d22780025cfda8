package idempotency

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// seedStore lets [NewMiddleware] use a store that implements only the seed
// [Store] interface. The middleware behaves the same on top of it, with
// these limits, all of them inherent to the seed interface:
//
//   - No fencing. Lock has no owner token, so ownership is tracked in this
//     process only. Two processes sharing one seed store are serialised only
//     as far as the store's own Lock is atomic across them.
//   - No lease and no takeover. A Lock held by a process that crashed stays
//     held until the store itself forgets it; until then every retry of
//     that key gets 409. Renewal only moves this process's own deadline.
//   - In-flight details are local. Another process's in-flight request
//     shows no fingerprint (so it gets 409, never 422) and no lease time.
//   - Single-valued headers. CachedResponse keeps one value per name, so
//     repeated headers are joined with ", " and only the first Set-Cookie
//     survives.
//   - No errors. The seed methods cannot fail, so the middleware never
//     answers 503 over such a store, and a store that silently drops a Set
//     makes the next retry run the handler again.
//   - Its TTL is [DefaultTTL] unless the middleware is given [WithTTL];
//     expiry is checked here against CachedResponse.ExpiresAt as well.
//
// The fingerprint and the omitted-body flag ride in the Headers map under
// names that cannot be HTTP field names (":idem-fingerprint",
// ":idem-omitted"), so a store that serialises CachedResponse keeps them.
type seedStore struct {
	s   Store
	ttl time.Duration

	mu     sync.Mutex
	owners map[string]seedOwner
}

type seedOwner struct {
	token, fingerprint string
	until              time.Time
}

const (
	seedFingerprint = ":idem-fingerprint"
	seedOmitted     = ":idem-omitted"
)

func newSeedStore(s Store) *seedStore {
	return &seedStore{s: s, ttl: DefaultTTL, owners: make(map[string]seedOwner)}
}

func (a *seedStore) TTL() time.Duration { return a.ttl }

func (a *seedStore) Claim(_ context.Context, key, fingerprint string, lease time.Duration) (Claim, error) {
	if rec := a.get(key); rec != nil {
		return Claim{State: Completed, Fingerprint: rec.Fingerprint, Record: rec}, nil
	}
	if !a.s.Lock(key) {
		a.mu.Lock()
		o, ok := a.owners[key]
		a.mu.Unlock()
		c := Claim{State: InFlight, LeaseRemaining: lease}
		if ok {
			c.Fingerprint = o.fingerprint
			c.LeaseRemaining = time.Until(o.until)
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
	a.owners[key] = seedOwner{token: token, fingerprint: fingerprint, until: time.Now().Add(lease)}
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

func (a *seedStore) Renew(_ context.Context, key, token string, lease time.Duration) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	o, ok := a.owners[key]
	if !ok || o.token != token {
		return ErrNotOwner
	}
	o.until = time.Now().Add(lease)
	a.owners[key] = o
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
	h := flattenHeader(rec.Header)
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
		Header:    make(http.Header, len(cr.Headers)),
		Body:      cr.Body,
		CreatedAt: cr.CreatedAt,
		ExpiresAt: cr.ExpiresAt,
	}
	for k, v := range cr.Headers {
		switch k {
		case seedFingerprint:
			rec.Fingerprint = v
		case seedOmitted:
			rec.BodyOmitted = v == "1"
		default:
			rec.Header[k] = []string{v}
		}
	}
	return rec
}

func newToken() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
