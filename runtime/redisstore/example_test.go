package redisstore_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/redisstore"
)

// Every replica of a service builds the same store on the shared Redis;
// the middleware then sees one record per key, whichever replica a retry
// reaches.
func ExampleNew() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()

	store := redisstore.New(client,
		redisstore.WithPrefix("payments"), // one namespace per service
		redisstore.WithTTL(48*time.Hour),  // keep responses two days
	)
	mw := idempotency.New(store, idempotency.WithLease(30*time.Second))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/payments", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintln(w, `{"id":"pay_1"}`)
	})
	_ = &http.Server{Addr: ":8080", Handler: mw.Handler(mux)}
}

// A Cluster (or Sentinel) deployment passes its client; nothing else
// changes, because all keys of one idempotency key share a hash tag.
func ExampleNew_cluster() {
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"},
	})
	defer client.Close()
	_ = idempotency.New(redisstore.New(client))
}
