package idemotel

import "go.opentelemetry.io/otel/metric"

// DefaultMaxOperations is how many operation names an [Observer] keeps as
// attribute values before it reports further ones as "_OTHER".
const DefaultMaxOperations = 100

// Option configures an [Observer].
type Option func(*config)

type config struct {
	meters  metric.MeterProvider // nil: otel.GetMeterProvider()
	withKey bool
	maxOps  int
}

// WithMeterProvider makes the observer's instruments from mp instead of
// the global otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.meters = mp }
}

// WithKey puts the client's Idempotency-Key on the request's span, as
// idempotency.key. Off by default: a key is often derived from the
// request's content or the caller's identity, and traces are read by more
// people than the database. Metrics never carry it.
func WithKey(on bool) Option {
	return func(c *config) { c.withKey = on }
}

// WithMaxOperations bounds the operation names used as attribute values
// (default [DefaultMaxOperations]); the first n seen keep their name and
// any later one is reported as "_OTHER".
func WithMaxOperations(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxOps = n
		}
	}
}
