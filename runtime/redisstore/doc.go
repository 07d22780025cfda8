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
//
// # Redis Cluster and failover
//
// Redis replicates asynchronously: a master answers a write (a claim, a
// renewal, a completed record) before its replica has it, and a failover
// promotes the replica with whatever it had. The store then sees each key
// as the replica last saw it. What the middleware does about that was
// measured on a cluster of three masters with a replica each
// (cluster-node-timeout 1s, lease 6s, a [redis.ClusterClient] with
// ClusterStateReloadInterval 1s), failing over the master of a key whose
// handler was running, ten times each (TestClusterFailover, with
// IDEMGEN_SOAK=1):
//
//   - CLUSTER FAILOVER on the replica, a planned switch: the master first
//     lets its replica catch up, so nothing is lost. The switch took up
//     to 30ms, no request got 503, the handler ran once (10 of 10).
//   - The master crashes and the handler finishes 100ms later, before the
//     replica is promoted (1.9-2.8s after the crash): Complete fails when
//     go-redis gives up first (MaxRedirects 3); the middleware reports a
//     store error and keeps the claim. The client has its 201 already. A
//     retry gets 503 until the client finds the new master (2.4-4.1s),
//     then 409 until the lease runs out, then the handler runs a second
//     time, after the first (10 of 10; in other runs the pool's dial
//     retries now and then carried Complete past the promotion, and
//     retries replayed).
//   - The same crash under a handler that outlives the failover: the
//     renewals fail during the outage and resume on the new master before
//     the lease runs out; Complete lands there, and retries replay (the
//     handler ran once, 10 of 10).
//   - The master freezes (SIGSTOP, as a long stall or DEBUG SLEEP would)
//     until its replica is promoted, 2.1-2.5s: go-redis retries Complete
//     through its timeouts until it reaches the new master, and retries
//     replay (10 of 10).
//   - The master crashes after it acknowledged Complete, but before its
//     replica, held back as a network partition would hold it, received
//     it: the client got 201 and the middleware reported the record
//     stored, but the new master has only the claim. A retry may even have
//     replayed the record before the crash (3 of 10); after it, retries
//     get 409 until the lease, as last replicated, runs out, and then the
//     handler runs again (10 of 10).
//   - The master crashes after it granted a claim that its replica, held
//     back the same way, never received: the new master has no claim, and
//     a retry runs the handler at once, while the first run still works.
//     The first client still gets its own 201, its Complete is refused
//     (the retry owns the key now), and later retries replay the retry's
//     response (10 of 10). [WithReplicaAck] closes this one: the claim
//     the replica did not acknowledge is answered 503 and its handler
//     never runs; after the failover a retry runs it once (10 of 10).
//
// So on Redis Cluster a key's handler runs once unless a failover loses
// the key's record: a lost completed record, or a completion that failed
// in the outage, makes the next retry run it again once the lease is out,
// and a lost claim lets a retry run it at once, beside the first run.
// Whatever the failover, a replay only ever carries a response the
// handler produced for that key, the client gets the handler's own
// answer, and the key ends completed; unless a claim is lost, two runs
// never overlap. Where a second run must not happen, pair the key with a
// fencing token or a transactional store (package pgstore).
//
// Settings for failover:
//
//   - ClusterStateReloadInterval of about a second on the ClusterClient.
//     go-redis learns of a new master from a MOVED reply, which a crashed
//     master never sends; with the default (60s) the crashed master's
//     slots answered 503 for the whole 30s a retry tried.
//   - A lease whose two thirds outlast a failover and the client's
//     reload of the slot map (here 1.8-2.9s and up to 1s more, with a
//     node-timeout of 1s): the middleware renews every third of the
//     lease, and a renewal missed in the outage must reach the new master
//     before the lease, as replicated, runs out. Under Redis's default
//     node-timeout (15s) a failover takes at least those 15s, which leaves
//     the default lease (30s, renewed every 10s) little margin: measure
//     the cluster's own failover time.
//   - MaxRedirects above the default 3 makes Complete retry past a
//     crash: with 10, 9 of 10 Completes cut by a crash landed on the new
//     master; the tenth still retried when the lease ran out, was refused,
//     and the handler ran again.
//   - [WithReplicaAck](1, timeout) where a lost claim must not run a
//     handler twice at once. It costs a replication round trip per write:
//     a claim and a completion took 0.11-0.16ms without it and 0.26-0.37ms
//     with it on one machine (BenchmarkReplicaAck); and every first
//     request fails while the replica is down.
//
// WithReplicaAck waits after completions too, but there it only reports
// a record the replica lacks (a store error instead of a silent loss):
// the middleware has passed the handler's response to the client by then,
// and a retry after a lost record still runs again once the lease is out.
package redisstore
