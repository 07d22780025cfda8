package redisstore_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/redisstore"
)

// A service that must not start on a Redis that would lose its keys
// checks at startup, and keeps checking from its readiness probe.
func ExampleNewChecked() {
	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	store, err := redisstore.NewChecked(ctx, client,
		redisstore.WithPrefix("payments"), redisstore.WithServerCheck(redisstore.CheckRefuse))
	if err != nil {
		log.Fatal(err) // names each unsafe setting, its cost and its fix
	}
	_ = store

	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		rep, err := redisstore.CheckServer(r.Context(), client)
		if err == nil {
			err = rep.Err()
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, rep)
	})
}
