package idemotel_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/idemgen/idemgen/runtime/idemotel"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

const secretKey = "9f1c2a7e-secret-key"

// tracedRun sends one request per body in a span of its own, through a
// middleware observed with opts, and returns the ended spans in order.
func tracedRun(t *testing.T, store idempotency.ClaimStore, opts []idemotel.Option, bodies ...string) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	obs, _ := newObserver(t, opts...)
	srv := idempotency.New(store, idempotency.WithOperation(op), idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	for _, body := range bodies {
		ctx, span := tp.Tracer("test").Start(context.Background(), "POST /payments")
		sendCtx(ctx, srv, "/payments", secretKey, body)
		span.End()
	}
	return rec.Ended()
}

func eventNames(s sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, e := range s.Events() {
		names = append(names, e.Name)
	}
	return names
}

func spanAttr(s sdktrace.ReadOnlySpan, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

// mentionsKey reports whether the key is anywhere on the span.
func mentionsKey(s sdktrace.ReadOnlySpan) bool {
	has := func(kvs []attribute.KeyValue) bool {
		for _, kv := range kvs {
			if strings.Contains(kv.Value.Emit(), secretKey) {
				return true
			}
		}
		return false
	}
	if has(s.Attributes()) {
		return true
	}
	for _, e := range s.Events() {
		if has(e.Attributes) {
			return true
		}
	}
	return false
}

// TestSpanFirstRequestAndReplay checks the events and attributes a run
// and its replay put on their spans, and that the key is on neither.
func TestSpanFirstRequestAndReplay(t *testing.T) {
	spans := tracedRun(t, idempotency.NewMemoryStore(time.Hour), nil, "{}", "{}")
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	run, replay := spans[0], spans[1]
	if got, want := eventNames(run), []string{"idempotency.acquired", "idempotency.completed"}; !slices.Equal(got, want) {
		t.Errorf("run's events %v, want %v", got, want)
	}
	if got, want := eventNames(replay), []string{"idempotency.replayed"}; !slices.Equal(got, want) {
		t.Errorf("replay's events %v, want %v", got, want)
	}
	done := run.Events()[1]
	wantAttrs := []attribute.KeyValue{
		attribute.String("idempotency.operation", op),
		attribute.Int("http.response.status_code", http.StatusCreated),
	}
	if !slices.Equal(done.Attributes, wantAttrs) {
		t.Errorf("completed event's attributes %v, want %v", done.Attributes, wantAttrs)
	}
	if got := run.Events()[0].Attributes; !slices.Equal(got, wantAttrs[:1]) {
		t.Errorf("acquired event's attributes %v, want only the operation (no status yet)", got)
	}
	for _, c := range []struct {
		span     sdktrace.ReadOnlySpan
		outcome  string
		replayed bool
	}{{run, "completed", false}, {replay, "replayed", true}} {
		if v, _ := spanAttr(c.span, "idempotency.outcome"); v.AsString() != c.outcome {
			t.Errorf("idempotency.outcome %q, want %q", v.Emit(), c.outcome)
		}
		if v, ok := spanAttr(c.span, "idempotency.replayed"); !ok || v.AsBool() != c.replayed {
			t.Errorf("%s: idempotency.replayed %v (set: %v), want %v", c.outcome, v.AsBool(), ok, c.replayed)
		}
		if c.span.Status().Code != codes.Unset {
			t.Errorf("%s: span status %v, want unset", c.outcome, c.span.Status())
		}
		if mentionsKey(c.span) {
			t.Errorf("%s: the key is on the span without WithKey", c.outcome)
		}
	}
}

// TestSpanWithKey puts the key on the span when asked, as
// idempotency.key, and on the span only.
func TestSpanWithKey(t *testing.T) {
	spans := tracedRun(t, idempotency.NewMemoryStore(time.Hour), []idemotel.Option{idemotel.WithKey(true)}, "{}")
	if v, _ := spanAttr(spans[0], "idempotency.key"); v.AsString() != secretKey {
		t.Errorf("idempotency.key %q, want %q", v.Emit(), secretKey)
	}
}

// TestSpanClientErrorsLeaveStatus checks that a mismatch (422) is an event
// and an outcome but not an error of the span.
func TestSpanClientErrorsLeaveStatus(t *testing.T) {
	spans := tracedRun(t, idempotency.NewMemoryStore(time.Hour), nil, `{"a":1}`, `{"a":2}`)
	mismatch := spans[1]
	if got := eventNames(mismatch); !slices.Equal(got, []string{"idempotency.mismatch"}) {
		t.Errorf("events %v, want [idempotency.mismatch]", got)
	}
	if v, _ := spanAttr(mismatch, "idempotency.outcome"); v.AsString() != "mismatch" {
		t.Errorf("idempotency.outcome %q, want mismatch", v.Emit())
	}
	if mismatch.Status().Code != codes.Unset {
		t.Errorf("span status %v, want unset for the client's 422", mismatch.Status())
	}
}

// TestSpanStoreError records the store's failure on the span and marks
// the span failed: the service answered 503.
func TestSpanStoreError(t *testing.T) {
	store := &faultyStore{ClaimStore: idempotency.NewMemoryStore(time.Hour)}
	store.failClaim.Store(true)
	spans := tracedRun(t, store, nil, "{}")
	s := spans[0]
	if got, want := eventNames(s), []string{"idempotency.store_error", "exception"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if v, _ := spanAttr(s, "idempotency.outcome"); v.AsString() != "store_error" {
		t.Errorf("idempotency.outcome %q, want store_error", v.Emit())
	}
	if s.Status().Code != codes.Error {
		t.Errorf("span status %v, want Error", s.Status())
	}
	var msg string
	for _, kv := range s.Events()[1].Attributes {
		if kv.Key == "exception.message" {
			msg = kv.Value.AsString()
		}
	}
	if msg != errStoreDown.Error() {
		t.Errorf("exception.message %q, want %q", msg, errStoreDown)
	}
}

// TestMetricsWithoutSpan checks that a request without a recording span is
// still counted (the metrics do not depend on tracing).
func TestMetricsWithoutSpan(t *testing.T) {
	obs, reader := newObserver(t)
	srv := idempotency.New(idempotency.NewMemoryStore(time.Hour), idempotency.WithOperation(op),
		idempotency.WithObserver(obs.Observe)).Handler(newScripted())
	send(srv, "k", "{}")
	if n := dataPoints(collect(t, reader)); n != 2 {
		t.Errorf("%d data points, want 2 (requests and duration)", n)
	}
}
