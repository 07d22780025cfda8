// Package mysqlstore keeps idempotency records in MariaDB, so that every
// replica of a service behind a load balancer shares one view of which
// requests ran. It implements [idempotency.ClaimStore] (atomic claim with
// an owner token and a lease, token-checked completion, takeover of dead
// owners' leases) and the seed [idempotency.Store], on a database/sql pool
// opened with github.com/go-sql-driver/mysql.
//
// It needs MariaDB 10.5 or later: the claim is one INSERT ... ON
// DUPLICATE KEY UPDATE ... RETURNING, and MySQL has no RETURNING
// ([Store.Migrate] checks the server and says so).
//
// # Usage
//
//	db, err := sql.Open("mysql", "app:secret@tcp(db:3306)/app")
//	if err != nil {
//		log.Fatal(err)
//	}
//	store := mysqlstore.New(db) // table "idempotency_keys" in the DSN's database
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
// The DSN needs no particular options: times cross the wire as integers,
// so parseTime, loc and the session's time_zone do not matter.
// [WithDatabase] and [WithTable] place the table; [Store.Schema] returns the
// DDL for users who run migrations with their own tools (the embedded
// schema.sql with the name filled in).
//
// # How it works
//
// Each key is one row, under a VARBINARY primary key (at most
// [MaxKeyBytes]; the middleware's keys are 32-byte hashes). A claim is a
// single statement: an INSERT whose ON DUPLICATE KEY UPDATE takes the row
// over only when it has expired (a record past its TTL, a claim past its
// lease) or is the caller's own claim, and otherwise leaves every column as
// it was; RETURNING sends back the row as the statement left it. The
// returned token says which happened: the caller's token means acquired,
// another token a claim in flight, a status a completed record to replay.
// The primary key and the row lock of the duplicate path let exactly one
// racer win. A replay writes nothing, but holds the row's lock for the
// length of its statement, so replays of one hot key queue briefly.
// Complete, Abandon and Renew act only on the row that holds the caller's
// token, so an owner whose lease was taken over can no longer write. A
// first request costs two statements (claim, complete) and a replay one,
// each one round trip: statements are prepared once per connection.
//
// Leases are durations applied to the database clock (UTC_TIMESTAMP(6)),
// so replicas whose clocks disagree still agree on when a lease ends. A
// statement whose connection breaks (KILL, a failover, a restarted server)
// or that the server rolls back (a deadlock) is retried on another
// connection, with the same token, a few times before the error reaches the
// middleware, which then answers 503. A retry after a lost reply
// recognises its own committed claim, completion or release.
//
// A record is bounded by the server's max_allowed_packet (16 MiB by
// default), read at Migrate: Complete refuses a larger one with an error
// wrapping [idempotency.ErrRecordTooLarge] and keeps the claim, and the
// middleware then stores the response without its body.
package mysqlstore
