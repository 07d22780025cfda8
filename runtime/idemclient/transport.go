package idemclient

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// Policy is how the transport treats one operation.
type Policy struct {
	// Required says the server requires a key. The transport sends one on
	// every matched request anyway; the field is there so that a route
	// table can state the server's terms.
	Required bool
	// TTL is how long the server keeps the key (0: 24h). Retries stop at
	// half of it at the latest: a retry after the server forgot the key
	// would run the operation again.
	TTL time.Duration
}

// Route is one operation the transport is told about: the method and the
// path template as the spec writes them ("/payments/{id}/refunds").
type Route struct {
	Method, Pattern string
	Policy          Policy
}

// Defaults of the Transport's zero fields.
const (
	DefaultMaxAttempts = 5
	DefaultMaxElapsed  = 30 * time.Second
	DefaultBaseDelay   = 100 * time.Millisecond
	DefaultMaxDelay    = 5 * time.Second
	DefaultTTL         = 24 * time.Hour
)

// Transport is an http.RoundTripper that makes retries of the routes it
// knows safe: it gives each matched request an Idempotency-Key and resends
// it, with the same key and body, while the answer says a retry can help.
// Requests that match no route pass through untouched.
//
// A Transport is safe for concurrent use; its fields must not change once
// it is in use.
type Transport struct {
	// Base sends each attempt (nil: http.DefaultTransport).
	Base http.RoundTripper
	// Routes are the operations that get keys and retries.
	Routes []Route
	// MaxAttempts bounds the attempts of one call, the first included
	// (0: DefaultMaxAttempts).
	MaxAttempts int
	// MaxElapsed is how long after the first attempt a retry may still
	// start (0: DefaultMaxElapsed). It is capped at half the route's TTL.
	// It does not cut an attempt short: the request's context (or
	// http.Client.Timeout) does that.
	MaxElapsed time.Duration
	// BaseDelay and MaxDelay shape the backoff between attempts when the
	// server sent no Retry-After: a random delay between zero and
	// BaseDelay doubled per retry, at most MaxDelay ("full jitter", so
	// that many clients refused at once do not come back at once).
	BaseDelay, MaxDelay time.Duration

	// Hooks for tests: nil means the real clock, timers and randomness.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(limit time.Duration) time.Duration // uniform in [0, limit]

	once   sync.Once
	routes []*route
}

// RoundTrip sends req, and for a matched route retries it as the package
// documentation describes. A refusal of the idempotency layer that no
// retry can fix is returned as a *ProblemError, its response closed: a
// deliberate departure from the RoundTripper rule that any response
// comes back with a nil error, so that a caller cannot mistake the
// refusal for the operation's own answer.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.once.Do(t.compile)
	rt := t.match(req)
	if rt == nil {
		return t.base().RoundTrip(req)
	}
	c := t.newCall(req, rt.policy)
	return c.run()
}

func (t *Transport) base() http.RoundTripper {
	if t.Base != nil {
		return t.Base
	}
	return http.DefaultTransport
}

func (t *Transport) compile() {
	t.routes = compileRoutes(t.Routes)
}

// newKey returns 128 random bits as 26 base32 characters: well inside
// the server's 256-byte limit, and plain ASCII, so never refused.
func newKey() string { return rand.Text() }

// newCall prepares one logical call: its key and its limits.
func (t *Transport) newCall(req *http.Request, p Policy) *call {
	c := &call{t: t, req: req, record: callFrom(req.Context())}
	c.key = req.Header.Get(contract.HeaderKey)
	c.ownKey = c.key == ""
	if c.ownKey {
		c.key = newKey()
	}
	c.maxAttempts = orInt(t.MaxAttempts, DefaultMaxAttempts)
	ttl := orDuration(p.TTL, DefaultTTL)
	c.window = min(orDuration(t.MaxElapsed, DefaultMaxElapsed), ttl/2)
	// A body that cannot be produced again can be sent once only.
	c.once = req.Body != nil && req.Body != http.NoBody && req.GetBody == nil
	return c
}

// attempt sends the request once more, with the call's key and a fresh
// copy of the body.
func (c *call) attempt() (*http.Response, error) {
	r := c.req.Clone(c.req.Context())
	if c.attempts > 0 && c.req.GetBody != nil && c.req.Body != nil && c.req.Body != http.NoBody {
		body, err := c.req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	if c.ownKey {
		r.Header.Set(contract.HeaderKey, c.key)
	}
	c.attempts++
	return c.t.base().RoundTrip(r)
}

func (t *Transport) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

func (t *Transport) wait(ctx context.Context, d time.Duration) error {
	if t.sleep != nil {
		return t.sleep(ctx, d)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

func orInt(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

func orDuration(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// drain discards what is left of a response that will not be returned, a
// little of it, so that its connection can be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}
