package idempotency

import (
	"net/http"
	"strings"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// Defaults of the options below.
const (
	// DefaultLease is how long a claim holds a key before another request
	// may take it over. The middleware renews it every third of its length
	// while the handler runs, so only a crashed process lets it lapse.
	DefaultLease = 30 * time.Second
	// DefaultMaxRequestBody caps the body the middleware buffers to
	// fingerprint a request.
	DefaultMaxRequestBody = 1 << 20
	// DefaultMaxResponseBody caps the body the middleware stores for replay.
	DefaultMaxResponseBody = 1 << 20
	// DefaultCompleteRetry is how long the middleware keeps trying to store
	// a response whose Complete failed, renewing the lease meanwhile.
	DefaultCompleteRetry = 5 * time.Second
)

// Option configures a [Middleware]. Build one with the With… functions.
type Option func(*config)

type config struct {
	ttl               time.Duration // 0: the store's TTL
	lease             time.Duration
	keyRequired       bool
	methods           []string
	route             string
	operation         string
	scope             func(*http.Request) string
	scopeHeaders      []string
	maxRequestBody    int64
	maxResponseBody   int64
	storeServerErrors bool
	wait              time.Duration
	failOpen          bool
	replayCookies     bool
	observer          func(Event)
	basePaths         []string // NewRouter: prefixes a route table is mounted under
	transaction       bool
	completeRetry     time.Duration
	echoKey           bool
	stripeReplayed    bool
	fp                fpRules  // what counts as the same request (options_fingerprint.go)
	bodyKey           *pointer // WithKeyFromBody; nil: the Idempotency-Key header
}

func defaultConfig() config {
	return config{
		lease:           DefaultLease,
		methods:         []string{http.MethodPost, http.MethodPatch},
		maxRequestBody:  DefaultMaxRequestBody,
		maxResponseBody: DefaultMaxResponseBody,
		completeRetry:   DefaultCompleteRetry,
	}
}

// WithBasePath names the path prefixes (for example "/v1", the path of the
// spec's servers URL) under which a route table built by [NewRouter] is
// mounted, so that a request to "/v1/payments" matches the route
// "/payments". A prefix may be a whole servers URL, whose path is taken,
// and its {variables} match any segment. A route matches under a declared
// prefix before it is tried as a suffix of the path after an unknown one,
// and only a declared prefix lets a template of parameters only ("/{id}")
// match under it. The generated NewIdempotencyMiddleware passes the spec's
// own. A Middleware that is not part of a route table ignores it.
func WithBasePath(prefixes ...string) Option {
	return func(c *config) { c.basePaths = append(c.basePaths, prefixes...) }
}

// WithTTL sets how long a completed response is kept and replayed. Without
// it (or with d <= 0) the store's own TTL governs.
func WithTTL(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.ttl = d
		}
	}
}

// WithKeyRequired makes a request without Idempotency-Key fail with 400
// (code idempotency_key_missing) instead of running without idempotency.
func WithKeyRequired(required bool) Option {
	return func(c *config) { c.keyRequired = required }
}

// WithMethods sets the methods the middleware applies to (default POST and
// PATCH). GET, HEAD, OPTIONS and TRACE are always ignored: they are safe by
// definition and a key on them means nothing.
func WithMethods(methods ...string) Option {
	return func(c *config) {
		c.methods = c.methods[:0:0]
		for _, m := range methods {
			m = strings.ToUpper(strings.TrimSpace(m))
			if m == "" || safeMethod(m) {
				continue
			}
			c.methods = append(c.methods, m)
		}
	}
}

// WithOperation names the operation in [Event].Operation, for metrics and
// logs: the generated code passes each operation's operationId.
func WithOperation(name string) Option {
	return func(c *config) { c.operation = name }
}

// WithRoute scopes keys to one operation, e.g. "POST /payments/{id}": the
// same key sent to two operations names two different entries. Without it,
// keys are scoped by method and URL path.
func WithRoute(pattern string) Option {
	return func(c *config) { c.route = pattern }
}

// WithScope scopes keys to a caller: f returns an identity (for example the
// authenticated principal) and one caller can never replay another's
// response. An empty string is a scope of its own (anonymous).
func WithScope(f func(*http.Request) string) Option {
	return func(c *config) { c.scope = f }
}

// WithScopeHeaders scopes keys to the values of the named request headers
// (for example "Authorization" or "X-Tenant-ID"). They are hashed, never
// stored in the clear.
func WithScopeHeaders(names ...string) Option {
	return func(c *config) {
		c.scopeHeaders = c.scopeHeaders[:0:0]
		for _, n := range names {
			c.scopeHeaders = append(c.scopeHeaders, http.CanonicalHeaderKey(n))
		}
	}
}

// WithMaxRequestBody caps the request body (default 1 MiB). A keyed request
// with a larger body gets 413 (code request_body_too_large); the handler
// does not run and nothing is stored.
func WithMaxRequestBody(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxRequestBody = n
		}
	}
}

// WithMaxResponseBody caps the body stored for replay (default 1 MiB). A
// larger response is still sent in full, but stored as status and headers
// only; its replay has an empty body and Idempotency-Replay: omitted. So
// is a response the store cannot hold: give a bounded MemoryStore the
// same value as MemoryOptions.MaxResponseBody so that it can.
func WithMaxResponseBody(n int64) Option {
	return func(c *config) {
		if n >= 0 {
			c.maxResponseBody = n
		}
	}
}

// WithStoreServerErrors stores 5xx responses too. By default a 5xx releases
// the key, so a retry runs the handler again.
func WithStoreServerErrors(store bool) Option {
	return func(c *config) { c.storeServerErrors = store }
}

// WithWait makes a request that finds its key in flight wait up to max for
// the first request to finish and then replay its response, instead of
// answering 409 at once.
func WithWait(max time.Duration) Option {
	return func(c *config) {
		if max > 0 {
			c.wait = max
		}
	}
}

// WithFailOpen runs the handler without idempotency when the store fails,
// instead of answering 503. It trades exactly-once for availability.
func WithFailOpen(failOpen bool) Option {
	return func(c *config) { c.failOpen = failOpen }
}

// WithLease sets the claim lease (default 30s); see [DefaultLease].
func WithLease(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.lease = d
		}
	}
}

// WithTransaction completes the key in the same database transaction as
// the handler's writes: the store opens a transaction before the handler
// runs and hands it over in the request context (pgstore.TxFromContext,
// mysqlstore.TxFromContext), and the middleware commits it together with
// the stored response, fenced by the claim's token. The client gets the
// response only after the commit succeeded, so the handler's response is
// held until then (it cannot stream, and at most WithMaxResponseBody of it
// is held: a larger one is answered 500 and rolled back). A 5xx, a panic,
// or a handler whose lease was taken over rolls back and stores nothing.
//
// The store must implement [TxStore]; New panics otherwise, so that an
// operation meant to commit with its key never runs without it.
func WithTransaction(on bool) Option {
	return func(c *config) { c.transaction = on }
}

// WithCompleteRetry bounds how long the middleware retries a Complete
// that failed (the store unreachable after the handler answered), with
// backoff, while it keeps renewing the lease so that no retry of the
// client's can take the key over meanwhile. Default
// [DefaultCompleteRetry]; 0 tries once.
func WithCompleteRetry(d time.Duration) Option {
	return func(c *config) { c.completeRetry = max(d, 0) }
}

// WithEchoKey sends the request's Idempotency-Key back in the response's
// Idempotency-Key header, on the first answer and on every replay, as
// Stripe does: stripe-go fills LastResponse.IdempotencyKey from it.
func WithEchoKey(echo bool) Option {
	return func(c *config) { c.echoKey = echo }
}

// WithStripeReplayed marks a replay with Idempotent-Replayed: true (the
// header Stripe sends) as well as Idempotency-Replayed, for clients written
// against Stripe's API.
func WithStripeReplayed(send bool) Option {
	return func(c *config) { c.stripeReplayed = send }
}

// WithObserver reports every outcome to f, synchronously on the request's
// goroutine (renewal failures on a timer's). f must be fast and must not
// panic; feed metrics or logs from it.
func WithObserver(f func(Event)) Option {
	return func(c *config) { c.observer = f }
}

// WithReplayCookies replays Set-Cookie headers. By default they are neither
// stored nor replayed: a session cookie handed to whoever retries a key is a
// session leak.
func WithReplayCookies(replay bool) Option {
	return func(c *config) { c.replayCookies = replay }
}

// safeMethod reports the methods a key never applies to.
func safeMethod(m string) bool { return contract.SafeMethod(m) }
