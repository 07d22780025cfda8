package idemotel_test

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestSpanRenewerAndTakeover feeds the events of a taken-over run whose
// renewal failed once: the renewer's store error is recorded on the span
// but neither ends the request nor fails the span.
func TestSpanRenewerAndTakeover(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs, _ := newObserver(t)
	ctx, span := tp.Tracer("test").Start(context.Background(), "POST /payments")
	for _, ev := range []idempotency.Event{
		{Outcome: idempotency.OutcomeExpiredTakeover},
		{Outcome: idempotency.OutcomeStoreError, Err: errStoreDown}, // the renewer's
		{Outcome: idempotency.OutcomeRenewed},
	} {
		ev.Context, ev.Operation = ctx, op
		obs.Observe(ev)
	}
	span.End()
	s := rec.Ended()[0]
	want := []string{"idempotency.expired_takeover", "idempotency.store_error", "exception", "idempotency.renewed"}
	if got := eventNames(s); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if v, ok := spanAttr(s, "idempotency.taken_over"); !ok || !v.AsBool() {
		t.Error("idempotency.taken_over not set on a takeover")
	}
	if _, ok := spanAttr(s, "idempotency.outcome"); ok {
		t.Error("idempotency.outcome set before the request ended")
	}
	if s.Status().Code != codes.Unset {
		t.Errorf("span status %v after a failed renewal, want unset", s.Status())
	}
}

// TestObserveAllocatesNothing checks that recording an event's metrics,
// with no recording span, allocates nothing once its attribute set exists.
func TestObserveAllocatesNothing(t *testing.T) {
	obs, _ := newObserver(t)
	evs := []idempotency.Event{
		{Outcome: idempotency.OutcomeAcquired, Operation: op, Context: context.Background()},
		{Outcome: idempotency.OutcomeRenewed, Operation: op, Context: context.Background()},
		{Outcome: idempotency.OutcomeCompleted, Operation: op, Status: 201, Context: context.Background()},
		{Outcome: idempotency.OutcomeReplayed, Operation: op, Status: 201, Context: context.Background()},
	}
	for _, ev := range evs {
		obs.Observe(ev) // makes the attribute sets
	}
	if n := testing.AllocsPerRun(1000, func() {
		for _, ev := range evs {
			obs.Observe(ev)
		}
	}); n != 0 {
		t.Errorf("Observe allocates %v times per run, want 0", n)
	}
}
