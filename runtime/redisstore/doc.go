// Package redisstore keeps idempotency records in Redis, so that every
// replica of a service behind a load balancer shares one view of each key.
//
// A [Store] implements both contracts of package idempotency: the stronger
// [idempotency.ClaimStore] (atomic claim with an owner token and a lease,
// token-checked completion, takeover of expired leases), which the
// middleware prefers, and the seed [idempotency.Store].
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
//	mw := idempotency.NewMiddleware(store, idempotency.WithLease(30*time.Second))
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
package redisstore
