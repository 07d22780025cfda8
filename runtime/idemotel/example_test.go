package idemotel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/idemgen/idemgen/runtime/idemotel"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

func Example() {
	reader := sdkmetric.NewManualReader() // a real service exports instead
	obs, err := idemotel.New(idemotel.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))))
	if err != nil {
		panic(err)
	}
	m := idempotency.New(obs.WrapStore(idempotency.NewMemoryStore(24*time.Hour)),
		idempotency.WithOperation("createPayment"),
		idempotency.WithObserver(obs.Observe))
	srv := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	for range 2 { // a request and its retry
		r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{"amount":1}`))
		r.Header.Set("Idempotency-Key", "8e03978e-40d5-43e8-bc93-6894a57f9324")
		srv.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	for _, mt := range rm.ScopeMetrics[0].Metrics {
		if mt.Name != "idempotency.requests" {
			continue
		}
		for _, dp := range mt.Data.(metricdata.Sum[int64]).DataPoints {
			outcome, _ := dp.Attributes.Value("idempotency.outcome")
			class, _ := dp.Attributes.Value("idempotency.status_class")
			fmt.Println(outcome.AsString(), class.AsString(), dp.Value)
		}
	}
	// Unordered output:
	// completed 2xx 1
	// replayed 2xx 1
}
