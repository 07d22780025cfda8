package idempotency_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func Example() {
	charges := 0
	createCharge := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		charges++
		info, _ := idempotency.FromContext(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"charge":%d,"key":%q}`, charges, info.Key)
	})

	store := idempotency.NewMemoryStore(time.Hour)
	m := idempotency.New(store, idempotency.WithKeyRequired(true))
	srv := httptest.NewServer(m.Handler(createCharge))
	defer srv.Close()

	post := func(key, body string) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/charges", strings.NewReader(body))
		if key != "" {
			req.Header.Set(idempotency.HeaderIdempotencyKey, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, resp.Header.Get(idempotency.HeaderIdempotencyReplayed), strings.TrimSpace(string(b)))
	}

	post("order-42", `{"amount":100}`) // runs the handler
	post("order-42", `{"amount":100}`) // replays it
	post("order-42", `{"amount":999}`) // same key, other request
	post("", `{"amount":100}`)         // key required
	fmt.Println("charges:", charges)

	// Output:
	// 201  {"charge":1,"key":"order-42"}
	// 201 true {"charge":1,"key":"order-42"}
	// 422  {"type":"urn:idemgen:problem:idempotency_key_reused","title":"Idempotency key reused","status":422,"detail":"This Idempotency-Key was already used for a different request (method, path, query or body differ).","code":"idempotency_key_reused"}
	// 400  {"type":"urn:idemgen:problem:idempotency_key_missing","title":"Idempotency key required","status":400,"detail":"This operation requires an Idempotency-Key header.","code":"idempotency_key_missing"}
	// charges: 1
}

func ExampleNewRouter() {
	guard := idempotency.NewRouter(idempotency.NewMemoryStore(time.Hour), []idempotency.Route{
		{Method: http.MethodPost, Pattern: "/payments/{id}/refunds",
			Options: []idempotency.Option{idempotency.WithKeyRequired(true)}},
	})
	refunds := 0
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments/{id}/refunds", func(w http.ResponseWriter, r *http.Request) {
		refunds++
		w.WriteHeader(http.StatusCreated)
	})
	h := guard(mux)

	for range 3 {
		r := httptest.NewRequest(http.MethodPost, "/payments/7/refunds", strings.NewReader(`{}`))
		r.Header.Set(idempotency.HeaderIdempotencyKey, "refund-7")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Printf("%d replayed=%q\n", w.Code, w.Header().Get(idempotency.HeaderIdempotencyReplayed))
	}
	fmt.Println("refunds:", refunds)

	// Output:
	// 201 replayed=""
	// 201 replayed="true"
	// 201 replayed="true"
	// refunds: 1
}
