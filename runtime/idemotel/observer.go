package idemotel

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// scope is the instrumentation scope of the observer's meter.
const scope = "github.com/idemgen/idemgen/runtime/idemotel"

// Bucket boundaries in seconds. The SDK's default ones suit milliseconds;
// these are the semantic conventions' for HTTP durations, and a finer
// range for store calls, which take milliseconds.
var (
	requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	storeBuckets   = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
)

// Observer turns the middleware's events into OpenTelemetry metrics and
// span annotations. Build it with [New] and pass [Observer.Observe] to
// idempotency.WithObserver; it is safe for concurrent use, and one
// Observer may serve every operation's middleware.
type Observer struct {
	withKey bool
	ops     *operations
	none    *measure // the empty attribute set

	requests    metric.Int64Counter
	duration    metric.Float64Histogram
	renewals    metric.Int64Counter
	takeovers   metric.Int64Counter
	storeErrors metric.Int64Counter
	evictions   metric.Int64Counter
	storeCalls  metric.Float64Histogram
	calls       storeCallAttrs
}

// New makes the observer's instruments. The error is the meter
// provider's, should it refuse one.
func New(opts ...Option) (*Observer, error) {
	c := config{maxOps: DefaultMaxOperations}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.meters == nil {
		c.meters = otel.GetMeterProvider()
	}
	meter := c.meters.Meter(scope)
	o := &Observer{withKey: c.withKey, ops: newOperations(c.maxOps), none: newMeasure(), calls: newStoreCallAttrs()}
	var err, e error
	o.requests, e = meter.Int64Counter("idempotency.requests", metric.WithUnit("{request}"),
		metric.WithDescription("Requests the idempotency middleware handled, by terminal outcome."))
	err = errors.Join(err, e)
	o.duration, e = meter.Float64Histogram("idempotency.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from the idempotency middleware receiving a request to its terminal outcome."),
		metric.WithExplicitBucketBoundaries(requestBuckets...))
	err = errors.Join(err, e)
	o.renewals, e = meter.Int64Counter("idempotency.lease.renewals", metric.WithUnit("{renewal}"),
		metric.WithDescription("Leases of running handlers renewed."))
	err = errors.Join(err, e)
	o.takeovers, e = meter.Int64Counter("idempotency.takeovers", metric.WithUnit("{takeover}"),
		metric.WithDescription("Keys claimed from an owner whose lease had expired."))
	err = errors.Join(err, e)
	o.storeErrors, e = meter.Int64Counter("idempotency.store.errors", metric.WithUnit("{error}"),
		metric.WithDescription("Store failures the idempotency middleware saw, lease renewals included."))
	err = errors.Join(err, e)
	o.evictions, e = meter.Int64Counter("idempotency.evictions", metric.WithUnit("{record}"),
		metric.WithDescription("Completed records a bounded store evicted before their expiry."))
	err = errors.Join(err, e)
	o.storeCalls, e = meter.Float64Histogram("idempotency.store.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of the idempotency store's calls."),
		metric.WithExplicitBucketBoundaries(storeBuckets...))
	err = errors.Join(err, e)
	if err != nil {
		return nil, err
	}
	return o, nil
}

// Observe records one event. Pass it to idempotency.WithObserver (and to
// MemoryOptions.OnEvict, for evictions).
func (o *Observer) Observe(ev idempotency.Event) {
	ctx := ev.Context
	if ctx == nil {
		ctx = context.Background()
	}
	if ev.Outcome == idempotency.OutcomeEvicted {
		o.evictions.Add(ctx, 1, o.none.add...)
		return
	}
	op := o.ops.lookup(ev.Operation)
	switch {
	case ev.Outcome == idempotency.OutcomeRenewed:
		o.renewals.Add(ctx, 1, op.alone.add...)
	case ev.Outcome == idempotency.OutcomeExpiredTakeover:
		o.takeovers.Add(ctx, 1, op.alone.add...)
	case storeFailure(&ev):
		o.storeErrors.Add(ctx, 1, op.alone.add...)
	}
	end := terminal(&ev)
	if end {
		m := op.outcome(ev.Outcome, ev.Status)
		o.requests.Add(ctx, 1, m.add...)
		o.duration.Record(ctx, ev.Elapsed.Seconds(), m.rec...)
	}
	o.annotate(ctx, &ev, end)
}
