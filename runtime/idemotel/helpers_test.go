package idemotel_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/idemgen/idemgen/runtime/idemotel"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// newObserver returns an observer over a meter provider read by hand.
func newObserver(t testing.TB, opts ...idemotel.Option) (*idemotel.Observer, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	obs, err := idemotel.New(append([]idemotel.Option{idemotel.WithMeterProvider(mp)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return obs, reader
}

// collect returns the observer's metrics by name.
func collect(t testing.TB, reader *sdkmetric.ManualReader) map[string]metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != "github.com/idemgen/idemgen/runtime/idemotel" {
			t.Errorf("unexpected scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			out[m.Name] = m
		}
	}
	return out
}

// dataPoints counts the data points of every metric.
func dataPoints(ms map[string]metricdata.Metrics) int {
	n := 0
	for _, m := range ms {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			n += len(d.DataPoints)
		case metricdata.Histogram[float64]:
			n += len(d.DataPoints)
		}
	}
	return n
}

// send runs one request through h and returns its status.
func send(h http.Handler, key, body string) int {
	return sendCtx(context.Background(), h, "/payments", key, body)
}

func sendCtx(ctx context.Context, h http.Handler, path, key, body string) int {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, path, strings.NewReader(body))
	if key != "" {
		r.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// scripted is the operation of the scripted tests: it answers 201, or 500
// for the body "fail", and for the body "block" it first signals entered
// and waits for release.
type scripted struct {
	entered chan struct{}
	release chan struct{}
}

func newScripted() *scripted {
	return &scripted{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch string(body) {
	case "fail":
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	case "block":
		s.entered <- struct{}{}
		<-s.release
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"id":"pay_1"}`)
}

var errStoreDown = errors.New("store down")

// faultyStore is a store whose Claim or Renew fails while told to.
type faultyStore struct {
	idempotency.ClaimStore
	failClaim atomic.Bool
	failRenew atomic.Bool
}

func (s *faultyStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	if s.failClaim.Load() {
		return idempotency.Claim{}, errStoreDown
	}
	return s.ClaimStore.Claim(ctx, key, fp, lease)
}

func (s *faultyStore) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	if s.failRenew.Load() {
		return errStoreDown
	}
	return s.ClaimStore.Renew(ctx, key, token, lease)
}

// tally passes events on to f and counts them by outcome, so that a test
// compares the series with what the middleware really reported.
type tally struct {
	f  func(idempotency.Event)
	mu sync.Mutex
	n  map[string]int // outcome, or outcome/status for a status-0 one
	on func(idempotency.Event)
}

func newTally(f func(idempotency.Event)) *tally { return &tally{f: f, n: map[string]int{}} }

func (t *tally) observe(ev idempotency.Event) {
	t.f(ev)
	t.mu.Lock()
	t.n[ev.Outcome.String()]++
	on := t.on
	t.mu.Unlock()
	if on != nil {
		on(ev)
	}
}

func (t *tally) count(outcome string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[outcome]
}
