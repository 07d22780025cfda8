// Package pgstore keeps idempotency records in PostgreSQL, so that every
// replica of a service behind a load balancer shares one view of which
// requests ran. It implements [idempotency.ClaimStore] (atomic claim with
// an owner token and a lease, token-checked completion, takeover of dead
// owners' leases), [idempotency.TxStore] (the key completed in the
// handler's own transaction) and the seed [idempotency.Store], on a pgx
// connection pool.
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
// # Transactions
//
// Built with idempotency.WithTransaction(true), an operation's writes and
// its stored response commit in one PostgreSQL transaction, so there is no
// moment at which the payment exists and the key does not say so. The
// middleware opens the transaction (on the store's pool, so the handler's
// tables must live in the store's database) after the claim and before the
// handler; the handler finds it with [TxFromContext]:
//
//	func pay(w http.ResponseWriter, r *http.Request) {
//		ctx := r.Context()
//		tx, _ := pgstore.TxFromContext(ctx)
//		info, _ := idempotency.FromContext(ctx)
//		if _, err := tx.Exec(ctx, "INSERT INTO payments (id, amount, fence) VALUES ($1, $2, $3)",
//			id, amount, int64(info.Fence)); err != nil {
//			http.Error(w, "payment failed", http.StatusInternalServerError) // rolls back
//			return
//		}
//		w.WriteHeader(http.StatusCreated)
//	}
//
// What commits together: every statement the handler ran on tx, and the
// UPDATE that completes the key with the response, fenced by the claim's
// token. The client gets the response only after the COMMIT. A 5xx or a
// panic rolls everything back and frees the key. Commit and Rollback on tx
// are refused (the middleware ends it); a savepoint (tx.Begin) undoes part
// of the work. Use tx only on the handler's goroutine, and not after the
// handler returns.
//
// What a crash leaves, by where it happens:
//   - before BEGIN, or while the handler runs: the server rolls back the
//     open transaction when its connection goes; the claim stays in
//     flight until its lease ends, and then a retry takes the key over
//     and runs the operation, once.
//   - after the completing UPDATE, before COMMIT: the same, as the UPDATE
//     is part of the transaction. A takeover that comes meanwhile waits on
//     the row lock the UPDATE took.
//   - during COMMIT (the connection lost, the reply never seen): Commit
//     asks on a new connection whether the key holds its token's record,
//     which it does only if the COMMIT took effect, and then reports
//     success. If it does not know yet, it reports an error; the
//     middleware answers 503 and abandons the claim, which is refused if
//     the commit happened (the key is completed, and a retry replays) and
//     frees the key if not (a retry runs once).
//   - after COMMIT: the writes and the record are stored; a retry replays.
//
// The transaction takes no lock on the key's row until its end, so a
// handler that outlives its lease (the process paused, renewals lost) can
// be taken over: its Commit then matches no row and rolls back, and only
// the new owner's writes commit (ErrNotOwner; the client is answered 409).
//
// # Fencing
//
// Each acquisition of a key gets a fence ([idempotency.Info].Fence, from
// Claim.Fence): the previous owner's plus one, or the database clock in
// microseconds when larger, so it grows across abandons, takeovers, expired
// records and swept rows alike. Inside the database the token already
// fences the store's own row; the fence is for systems outside it. Pass it
// with the write (a column, a header, a request field) and have that
// system keep, per key, the largest fence it has accepted and refuse
// smaller ones: a stale owner that was taken over, still running after a
// pause, then cannot overwrite its successor's work. Tables created by an
// earlier version gain the column on Migrate; their rows start at 0, and
// the next claim of each key sets the clock's value.
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
// (claim, complete) and a replay one; built WithTransaction, five with the
// handler's one INSERT (claim, BEGIN, INSERT, the completing UPDATE,
// COMMIT), against three without it (claim, INSERT, complete). Each
// statement is one round trip.
//
// Leases are durations applied to the database clock (now()), so replicas
// whose clocks disagree still agree on when a lease ends. A statement whose
// connection breaks (a terminated backend, a failover) is retried on
// another connection, with the same token, a few times before the error
// reaches the middleware, which then answers 503.
package pgstore
