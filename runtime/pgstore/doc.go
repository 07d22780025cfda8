// Package pgstore keeps idempotency records in PostgreSQL, so that every
// replica of a service behind a load balancer shares one view of which
// requests ran. It implements [idempotency.ClaimStore] (atomic claim with
// an owner token and a lease, token-checked completion, takeover of dead
// owners' leases) and the seed [idempotency.Store], on a pgx connection
// pool.
//
// # Usage
//
//	pool, err := pgxpool.New(ctx, "postgres://app@db:5432/app")
//	if err != nil {
//		log.Fatal(err)
//	}
//	store := pgstore.New(pool) // table "idempotency_keys" on the search_path
//	if err := store.Migrate(ctx); err != nil {
//		log.Fatal(err)
//	}
//
//	// Generated typed wrappers over oapi-codegen's ServerInterface:
//	handler := api.HandlerFromMux(api.NewIdempotentServer(impl, store), http.NewServeMux())
//
//	// Or the plain middleware around any handler:
//	handler = idempotency.New(store).Handler(handler)
//
//	// Expired rows are ignored at once but take space until swept:
//	go func() {
//		for range time.Tick(time.Minute) {
//			if _, err := store.DeleteExpired(ctx, 1000); err != nil {
//				log.Print(err)
//			}
//		}
//	}()
//
// [WithSchema] and [WithTable] place the table; [Store.Schema] returns the
// DDL for users who run migrations with their own tools (the embedded
// schema.sql with the names filled in).
//
// # How it works
//
// Each key is one row. A claim is a single statement: it returns the key's
// live row (a completed record, or another owner's unexpired claim) as read,
// without locking or writing, so a replay costs one index lookup; otherwise
// an INSERT ... ON CONFLICT DO UPDATE takes the key, or takes over a row
// whose record or lease has expired. The unique index and the row lock on
// the conflict path let exactly one racer win. Complete, Abandon and Renew
// act only on the row that holds the caller's token, so an owner whose lease
// was taken over can no longer write. A first request costs two statements
// (claim, complete) and a replay one.
//
// Leases are durations applied to the database clock (now()), so replicas
// whose clocks disagree still agree on when a lease ends. A statement whose
// connection breaks (a terminated backend, a failover) is retried on
// another connection, with the same token, a few times before the error
// reaches the middleware, which then answers 503.
package pgstore
