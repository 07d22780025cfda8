package idemprom_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// payments is the operation the tests send requests to: 201 with a small
// body, a 500 when the request asks for it, and a pause until released
// when it carries X-Block.
type payments struct {
	entered chan struct{}
	release chan struct{}
}

func newPayments() *payments {
	return &payments{entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (p *payments) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if r.Header.Get("X-Block") != "" {
		p.entered <- struct{}{}
		<-p.release
	}
	if r.Header.Get("X-Fail") != "" {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	io.WriteString(w, `{"id":"pay_1"}`)
}

// post sends a POST through h and returns the status.
func post(t testing.TB, h http.Handler, path, key, body string, hdr ...string) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if key != "" {
		r.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

// histogramCounts gathers c and returns each histogram series' sample
// count of the metric name, keyed by its label values joined with ",".
// A histogram's sum is a measured time, so tests check counts only.
func histogramCounts(t *testing.T, c prometheus.Collector, name string) map[string]uint64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelValues(m)] = m.GetHistogram().GetSampleCount()
		}
	}
	return out
}

// counterValues is histogramCounts for counters: each series' value.
func counterValues(t *testing.T, c prometheus.Collector, name string) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[labelValues(m)] = m.GetCounter().GetValue()
		}
	}
	return out
}

func labelValues(m *dto.Metric) string {
	var vs []string
	for _, l := range m.GetLabel() {
		vs = append(vs, l.GetValue())
	}
	return strings.Join(vs, ",")
}
