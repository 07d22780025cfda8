// Package redisstore keeps idempotency records in Redis, so that every
// replica of a service behind a load balancer shares one view of each key.
//
// A [Store] implements both contracts of package idempotency: the stronger
// [idempotency.ClaimStore] (atomic claim with an owner token and a lease,
// token-checked completion, takeover of expired leases), which the
// middleware uses, and the seed [idempotency.Store], whose Get returns what
// either side stored (several values of a header joined as
// [idempotency.CachedResponse] says).
//
// It accepts any [redis.UniversalClient], so a single node, Sentinel and
// Cluster are served by the same code. Every operation is one server-side
// Lua script: a claim costs one round trip, a first request two (claim,
// then complete), a replay one. Keys look like
//
//	<prefix>:{#<idempotency key>}        the claim or the stored response
//	<prefix>:{#<idempotency key>}:lease  the owner's lease, expiring with PX
//
// The braces are a Cluster hash tag: both keys of one idempotency key live
// in the same slot, which is what lets a script touch them together. Redis
// expires everything itself (PX and PEXPIRE); there is no cleanup to run.
//
// Wiring it into a hand-written server:
//
//	client := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
//	store := redisstore.New(client, redisstore.WithPrefix("payments"))
//	mw := idempotency.New(store, idempotency.WithLease(30*time.Second))
//	http.ListenAndServe(":8080", mw.Handler(mux))
//
// and into the wrappers that idemgen generates:
//
//	srv := api.NewIdempotentServer(impl, redisstore.New(client))
//	http.ListenAndServe(":8080", api.Handler(srv))
//
// A Cluster or Sentinel deployment passes redis.NewUniversalClient (or
// redis.NewClusterClient / redis.NewFailoverClient) instead; nothing else
// changes.
//
// # What the server must keep
//
// An idempotency key that Redis drops is a request that runs twice, so
// the server must neither evict keys nor forget them:
//
//   - maxmemory-policy noeviction, or maxmemory 0 (no limit). Every key of
//     this store has a TTL, so volatile-* policies evict them as readily
//     as allkeys-* (measured with allkeys-lru: 400 of 400 keys re-ran on
//     retry, and two in-flight claims were taken over while running).
//     Under noeviction a full Redis refuses writes instead: Complete fails
//     and the retry re-runs (166 of 200), so size maxmemory to fit.
//   - persistence: appendonly yes with appendfsync everysec (a crash loses
//     at most about a second) or always. RDB snapshots alone lose every
//     key since the last one; with neither, a restart forgets every key.
//
// A Store checks this before it first serves (see [WithServerCheck]):
// by default it logs each unsafe setting, with its cost and its fix;
// [CheckRefuse] makes it refuse instead. [NewChecked] checks at once,
// under a context, for a service that should not start on such a server.
// [CheckServer] runs the same check for a readiness probe. Where CONFIG is
// disabled (managed Redis), what INFO cannot tell is reported unknown,
// which never refuses.
package redisstore
