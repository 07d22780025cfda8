package idemprom

import "github.com/prometheus/client_golang/prometheus"

// DefaultMaxOperations is how many distinct operation label values a
// [Metrics] keeps before it folds the rest into [OtherOperation].
const DefaultMaxOperations = 1000

// OtherOperation is the operation label of every operation seen after the
// first [WithMaxOperations] distinct ones.
const OtherOperation = "other"

// Option configures [New].
type Option func(*config)

type config struct {
	maxOperations  int
	requestBuckets []float64
	storeBuckets   []float64
}

func defaultConfig() config {
	return config{
		maxOperations:  DefaultMaxOperations,
		requestBuckets: prometheus.DefBuckets,
		// Store calls are round trips to Redis or a database: most take
		// well under a millisecond to a few, so the buckets start lower
		// than a request's.
		storeBuckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
	}
}

// WithMaxOperations caps the distinct operation label values (default
// [DefaultMaxOperations]); operations seen after the cap is reached are
// counted under [OtherOperation]. The cap matters only for a middleware
// built with neither WithOperation nor WithRoute, whose events name the
// operation "METHOD /path" with the request's own path.
func WithMaxOperations(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxOperations = n
		}
	}
}

// WithRequestBuckets sets the buckets, in seconds, of
// idempotency_request_duration_seconds (default prometheus.DefBuckets).
func WithRequestBuckets(b ...float64) Option {
	return func(c *config) {
		if len(b) > 0 {
			c.requestBuckets = b
		}
	}
}

// WithStoreCallBuckets sets the buckets, in seconds, of
// idempotency_store_call_duration_seconds (default 0.5ms to 1s).
func WithStoreCallBuckets(b ...float64) Option {
	return func(c *config) {
		if len(b) > 0 {
			c.storeBuckets = b
		}
	}
}
