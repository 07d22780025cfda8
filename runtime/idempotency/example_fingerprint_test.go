package idempotency_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// An operation whose clients put the key in the JSON body, reorder its
// members between retries and stamp each retry with the time.
func ExampleWithKeyFromBody() {
	runs := 0
	createPayment := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		runs++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"payment":%d}`, runs)
	})
	m := idempotency.New(idempotency.NewMemoryStore(time.Hour),
		idempotency.WithKeyRequired(true),
		idempotency.WithKeyFromBody("/idempotency_key"),
		idempotency.WithFingerprintIgnore("/sent_at"), // implies WithCanonicalJSON
	)
	h := m.Handler(createPayment)

	for _, body := range []string{
		`{"idempotency_key":"order-42","amount":100,"sent_at":"12:00:00"}`,
		`{ "sent_at": "12:00:05", "amount": 1.00e2, "idempotency_key": "order-42" }`, // the same payment
		`{"idempotency_key":"order-42","amount":200,"sent_at":"12:00:09"}`,           // not the same
		`{"amount":100}`, // no key
	} {
		r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, "replayed:", w.Header().Get(idempotency.HeaderIdempotencyReplayed) == "true")
	}
	// Output:
	// 201 replayed: false
	// 201 replayed: true
	// 422 replayed: false
	// 400 replayed: false
}
