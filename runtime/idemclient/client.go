package idemclient

import (
	"net/http"
	"time"
)

// Option sets a field of the Transport that NewClient builds.
type Option func(*Transport)

// WithBase sets the RoundTripper that sends each attempt.
func WithBase(rt http.RoundTripper) Option { return func(t *Transport) { t.Base = rt } }

// WithMaxAttempts bounds the attempts of one call, the first included.
func WithMaxAttempts(n int) Option { return func(t *Transport) { t.MaxAttempts = n } }

// WithMaxElapsed sets how long after the first attempt a retry may start.
func WithMaxElapsed(d time.Duration) Option { return func(t *Transport) { t.MaxElapsed = d } }

// WithBackoff sets the first backoff limit and the largest one.
func WithBackoff(base, most time.Duration) Option {
	return func(t *Transport) { t.BaseDelay, t.MaxDelay = base, most }
}

// NewClient returns an http.Client whose Transport knows routes. Give it
// to a generated client (oapi-codegen's WithHTTPClient, say) or use it
// directly.
func NewClient(routes []Route, opts ...Option) *http.Client {
	t := &Transport{Routes: routes}
	for _, o := range opts {
		o(t)
	}
	return &http.Client{Transport: t}
}

// Doer sends a request, as *http.Client does, and the HttpRequestDoer of
// the clients oapi-codegen generates.
type Doer interface {
	Do(req *http.Request) (*http.Response, error)
}

// Wrap returns an http.Client that sends each attempt through doer (nil:
// http.DefaultTransport), with the retries t tunes (nil: the defaults;
// its Base gives way to doer, and its Routes to routes). It is what the
// generated WithIdempotentRetries does to oapi-codegen's client: doer
// keeps its own redirects, cookies and timeout, and the returned client
// adds none of its own.
func Wrap(doer Doer, routes []Route, t *Transport) *http.Client {
	nt := &Transport{Routes: routes}
	if t != nil {
		nt.Base, nt.MaxAttempts, nt.MaxElapsed, nt.BaseDelay, nt.MaxDelay = t.Base, t.MaxAttempts, t.MaxElapsed, t.BaseDelay, t.MaxDelay
	}
	if doer != nil {
		nt.Base = doerTransport{doer}
	}
	return &http.Client{
		Transport: nt,
		// doer has followed any redirect already.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// doerTransport sends through a Doer.
type doerTransport struct{ d Doer }

func (t doerTransport) RoundTrip(req *http.Request) (*http.Response, error) { return t.d.Do(req) }
