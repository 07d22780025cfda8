package idempotency_test

import (
	"context"
	"fmt"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// A bounded store for one machine: at most 100,000 keys or 256 MiB, with
// a janitor that reclaims expired records every minute.
func ExampleNewMemoryStoreWith() {
	store := idempotency.NewMemoryStoreWith(idempotency.MemoryOptions{
		TTL:           time.Hour,
		MaxEntries:    100_000,
		MaxBytes:      256 << 20,
		SweepInterval: time.Minute,
	})
	defer store.Close()

	ctx := context.Background()
	c, _ := store.Claim(ctx, "order-42", "fingerprint", 30*time.Second)
	fmt.Println(c.State)
	_ = store.Complete(ctx, "order-42", c.Token, &idempotency.Record{Status: 201, Body: []byte(`{"id":42}`)})

	again, _ := store.Claim(ctx, "order-42", "fingerprint", 30*time.Second)
	fmt.Println(again.State, again.Record.Status, string(again.Record.Body))
	// Output:
	// acquired
	// completed 201 {"id":42}
}
