package idemotel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// eventNames are the span events' names, made once: "idempotency." and
// the outcome.
var eventNames = func() (names [maxOutcomes]string) {
	for i := range names {
		names[i] = "idempotency." + idempotency.Outcome(i).String()
	}
	return names
}()

// annotate adds ev to the request's span, if one is recording; ends says
// ev is the request's terminal outcome.
func (o *Observer) annotate(ctx context.Context, ev *idempotency.Event, ends bool) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	attrs := make([]attribute.KeyValue, 0, 2)
	attrs = append(attrs, keyOperation.String(ev.Operation))
	if ev.Status != 0 {
		attrs = append(attrs, keyStatusCode.Int(ev.Status))
	}
	span.AddEvent(eventNames[outcomeSlot(ev.Outcome)], trace.WithAttributes(attrs...))

	if ev.Err != nil && serverFault(ev) {
		span.RecordError(ev.Err)
	}
	if ev.Outcome == idempotency.OutcomeExpiredTakeover {
		span.SetAttributes(keyTakenOver.Bool(true))
	}
	if !ends {
		return
	}
	// A new slice: the span may keep the event's.
	end := make([]attribute.KeyValue, 0, 3)
	end = append(end,
		keyOutcome.String(ev.Outcome.String()),
		keyReplayed.Bool(ev.Outcome == idempotency.OutcomeReplayed))
	if o.withKey && ev.Key != "" {
		end = append(end, keyKey.String(ev.Key))
	}
	span.SetAttributes(end...)
	if ev.Outcome == idempotency.OutcomeStoreError {
		// The service failed this request: 503, or its response could not
		// be stored. Everything else the middleware refuses is the
		// client's doing (409, 422, 400) and not an error of the span.
		span.SetStatus(codes.Error, "idempotency: store error")
	}
}

// serverFault reports an event whose Err is the service's problem rather
// than a refusal of the client's request (a malformed key, a body over the
// cap), and belongs on the span as an error.
func serverFault(ev *idempotency.Event) bool {
	switch ev.Outcome {
	case idempotency.OutcomeStoreError, idempotency.OutcomeFailOpen,
		idempotency.OutcomeOwnershipLost,
		idempotency.OutcomeNotStored, idempotency.OutcomeAbandoned:
		return true
	}
	return false
}
