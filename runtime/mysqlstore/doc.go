// Package mysqlstore keeps idempotency records in MariaDB, so that every
// replica of a service behind a load balancer shares one view of which
// requests ran. It implements [idempotency.ClaimStore] (atomic claim with
// an owner token, a fence and a lease, token-checked completion, takeover
// of dead owners' leases), [idempotency.TxStore] (the stored response
// commits in the handler's own transaction) and the seed
// [idempotency.Store], on a database/sql pool opened with
// github.com/go-sql-driver/mysql.
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
//
// # Fence
//
// Every acquisition of a key gets a fence ([idempotency.Claim.Fence],
// which the middleware puts in [idempotency.Info]): the claim statement
// sets it to the row's old fence plus one, or to the database clock in
// microseconds since the epoch when that is larger, and a new row starts
// at the clock. So it grows across abandons and takeovers, and also when
// the key's history is gone (its record expired, DeleteExpired swept the
// row), as long as the database clock does not step back past the last
// fence (a failover to a server whose clock is behind). A retry of the
// same claim after a lost reply keeps its fence. Hand it to a downstream
// system that can refuse a write carrying a smaller fence than one it has
// already seen for the key, so that an owner that was taken over cannot
// overwrite its successor there. Tables created before the column existed
// gain it at [Store.Migrate].
//
// # Transactions
//
// An operation built with idempotency.WithTransaction(true) writes its
// effects in the same MariaDB transaction that stores its response. The
// handler finds the transaction with [TxFromContext]; it must not commit
// or roll it back, the middleware does:
//
//	mw := idempotency.New(store, idempotency.WithTransaction(true))
//	handler := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//		tx, _ := mysqlstore.TxFromContext(r.Context())
//		_, err := tx.ExecContext(r.Context(),
//			"INSERT INTO payments (id, amount) VALUES (?, ?)", id, amount)
//		if err != nil {
//			// A 5xx rolls the insert back and frees the key for a retry.
//			http.Error(w, "could not pay", http.StatusInternalServerError)
//			return
//		}
//		w.WriteHeader(http.StatusCreated)
//	}))
//
// The claim is its own statement, committed before the handler runs, so
// that concurrent requests see the key taken; [Store.BeginTx] then opens a
// transaction on the store's pool and locks nothing, so a takeover of a
// lapsed lease does not wait for the handler. Commit runs Complete's
// token-fenced UPDATE in the transaction and commits: the handler's writes
// and the stored response commit together, or, when the token no longer
// owns the claim (another request took it over), Commit rolls back and
// returns [idempotency.ErrNotOwner], so a taken-over run leaves nothing.
// The UPDATE locks the key's row until the COMMIT: a takeover racing the
// commit waits for it and then replays the committed response. The client
// gets the response only after the commit. A transactional first request
// costs four statements (claim, BEGIN, the UPDATE, COMMIT) besides the
// handler's, against two without a transaction.
//
// What a crash leaves, by where it happens:
//
//   - after the claim, before or while the handler runs, or after the
//     UPDATE but before the COMMIT: the server rolls the transaction back
//     when the connection drops, so neither the handler's writes nor the
//     response exist; the claim stays until its lease lapses, and then a
//     retry takes it over (TakenOver, a larger fence) and runs afresh. A
//     crash after the UPDATE leaves the key's row locked until the server
//     has rolled back, and a takeover waits for that lock. A dead process's
//     sockets close and the server notices at once; a dead machine or
//     network is noticed only by TCP keepalive or wait_timeout, hours by
//     default, so lower those when hosts can vanish;
//   - after the COMMIT, before the client has the response: both are
//     stored, and a retry replays the response. When only the COMMIT's
//     reply is lost, Commit finds its completed row and reports success;
//   - a crash of the server itself: InnoDB recovery keeps exactly the
//     committed transactions, so the same two cases hold.
//
// Each transactional request holds a pool connection from BeginTx to the
// commit, while the middleware's lease renewals and other requests' claims
// need connections of their own: size db.SetMaxOpenConns above the number
// of transactional requests in flight, or renewals wait, leases lapse and
// the handlers are cancelled. The handler's tables must be reachable from
// the store's connections (the same server); the handler should not touch
// the store's table.
package mysqlstore
