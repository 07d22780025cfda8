package idemclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/idemgen/idemgen/runtime/idemclient"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// lossy loses the first answer on its way back, as a network that drops
// a connection after the server answered does.
type lossy struct{ lost bool }

func (l *lossy) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && !l.lost {
		l.lost = true
		resp.Body.Close()
		return nil, io.ErrUnexpectedEOF
	}
	return resp, err
}

func Example() {
	// The server: a payment is created once per key.
	payments := 0
	create := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		payments++
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"payment":%d}`, payments)
	})
	store := idempotency.NewMemoryStore(time.Hour)
	defer store.Close()
	srv := httptest.NewServer(idempotency.New(store, idempotency.WithKeyRequired(true)).Handler(create))
	defer srv.Close()

	// The client: the route table says which operations get a key.
	client := idemclient.NewClient([]idemclient.Route{
		{Method: http.MethodPost, Pattern: "/payments", Policy: idemclient.Policy{Required: true}},
	}, idemclient.WithBase(&lossy{}))

	ctx, call := idemclient.WithCall(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/v1/payments", strings.NewReader(`{"amount":100}`))
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	fmt.Printf("attempts=%d replayed=%v payments=%d\n", call.Attempts, call.Replayed, payments)

	// Output:
	// 201 {"payment":1}
	// attempts=2 replayed=true payments=1
}

func ExampleProblemError() {
	store := idempotency.NewMemoryStore(time.Hour)
	defer store.Close()
	srv := httptest.NewServer(idempotency.New(store).Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	defer srv.Close()
	client := idemclient.NewClient([]idemclient.Route{{Method: http.MethodPost, Pattern: "/payments"}})

	send := func(body string) error {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/payments", strings.NewReader(body))
		req.Header.Set("Idempotency-Key", "order-42") // the caller's own key is kept
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	fmt.Println(send(`{"amount":100}`))
	err := send(`{"amount":999}`) // the same key for another request
	var refused *idemclient.ProblemError
	if errors.As(err, &refused) {
		fmt.Println(refused.Status, refused.Code, refused.Attempts)
	}

	// Output:
	// <nil>
	// 422 idempotency_key_reused 1
}
