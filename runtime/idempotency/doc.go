// Package idempotency provides middleware for idempotent POST request handling. Clients can send an Idempotency-Key header to ensure requests are processed exactly once, with subsequent requests returning the cached response.
//
// It depends on the standard library only (its internal helpers, the
// published contract and the seed header rule, do too).
//
// # Usage
//
//	store := idempotency.NewMemoryStore(24 * time.Hour)
//	m := idempotency.New(store,
//		idempotency.WithKeyRequired(true),
//		idempotency.WithScope(func(r *http.Request) string { return userID(r) }),
//	)
//	http.ListenAndServe(":8080", m.Handler(mux))
//
// m.Handler fits oapi-codegen's MiddlewareFunc and chi's Use. For a table
// of operations in front of any router, [NewRouter] takes one [Route] per
// operation and returns a func(http.Handler) http.Handler;
// [NewRouteMiddleware] is the middleware of one route as NewRouter builds
// it. idemgen generates the table, and typed per-operation wrappers that
// call NewRouteMiddleware, from an OpenAPI document.
//
// The table errs on the side of guarding, so that a request the
// application's router sends to a marked operation never slips through: it
// matches a route however the path is escaped (an encoded slash stays in
// its segment), cased, slashed at its end or cleaned, under the prefixes
// named with [WithBasePath], and behind any other mount prefix
// (http.StripPrefix, chi's Mount) as a segment suffix; NewRouter lists
// the rules. Keys stay scoped to the route. A request that one layer
// already runs under a claimed key passes through any other (a route table
// and a typed wrapper, or two tables), and a 409 that says a key is in
// flight is never stored.
//
// [New], NewRouter and NewRouteMiddleware take a [ClaimStore], the
// contract a store implements. The seed's [NewMiddleware], which takes a
// seed [Store], is New([AdaptStore](store)).
//
// # Behaviour
//
// The middleware guards POST and PATCH by default ([WithMethods]); it
// never guards GET, HEAD, OPTIONS or TRACE. For a guarded request:
//
//   - No key: the handler runs unguarded, or 400 with [WithKeyRequired].
//   - Invalid key (empty, over [MaxKeyLength] bytes, a control or non-ASCII
//     byte, a list, or the header repeated): 400. A key sent as an RFC 9651
//     sf-string ("abc") is the key abc.
//   - First request: the handler runs once; its response is sent as it is
//     written and stored with the request's fingerprint (method, route,
//     path, query and body; see "What counts as the same request") until
//     the TTL ends ([WithTTL], else the store's TTL).
//   - Retry with the same fingerprint: the stored status, headers and body
//     with Idempotency-Replayed: true. Hop-by-hop headers and Date are
//     never replayed, Set-Cookie only with [WithReplayCookies].
//   - Same key, different request: 422. The original stays intact.
//   - Same key while the first request runs: 409 with Retry-After, or with
//     [WithWait] a bounded wait and then the replay.
//   - The handler panics: the panic propagates and the key is released.
//   - A 5xx is sent but not stored ([WithStoreServerErrors] changes that);
//     neither is a hijacked connection's. Both release the key.
//   - A flushed response, one over [WithMaxResponseBody], or one the store
//     cannot hold ([ErrRecordTooLarge], [ErrStoreFull] from Complete) is
//     stored as status and headers only; its replay has an empty body and
//     Idempotency-Replay: omitted. The operation never runs twice.
//   - A response cut short (a write to the client failed because it hung
//     up mid-body, or the body fell short of its Content-Length) is stored
//     the same way: a replay never passes a fragment off as the answer.
//   - A body over [WithMaxRequestBody]: 413, the handler does not run.
//   - The store fails: 503 with Retry-After ([WithFailOpen] runs the
//     handler instead). A full store ([ErrStoreFull]) gets a 503 that
//     says so, under the same code.
//   - An expired entry is a first request.
//
// Errors are RFC 9457 application/problem+json bodies with type, title,
// status, detail and a stable code member (CodeKeyMissing and friends).
// Keys are scoped by operation ([WithRoute], else method and URL path) and
// by caller where configured ([WithScope], [WithScopeHeaders]), so one
// caller never replays another's response. Handlers read the key's [Info]
// with [FromContext]; [WithObserver] reports every [Outcome].
//
// # What counts as the same request
//
// A retry is replayed only when its fingerprint matches the first
// request's; otherwise it gets 422. By default the fingerprint is the
// method, the operation, the escaped path, the raw query and the body's
// bytes: a retry must repeat the request byte for byte, and headers do not
// count. Rules, set per operation, loosen or tighten that:
//
//	m := idempotency.New(store,
//		idempotency.WithCanonicalJSON(true),                // member order, spacing, 1 vs 1.0
//		idempotency.WithFingerprintIgnore("/client_ts"),    // a field that changes on every retry
//		idempotency.WithFingerprintHeaders("Content-Type"), // a header that counts
//		idempotency.WithKeyFromBody("/idempotency_key"),    // the key in the body, not the header
//	)
//
// [WithCanonicalJSON] compares JSON bodies (by Content-Type application/json
// or +json, or with no Content-Type when the body parses) by their value:
// members sorted by name, no insignificant whitespace, strings decoded and
// re-escaped minimally, numbers as exact decimals (1, 1.0 and 1e0 are one
// number; no float rounding, so 2^64 and 2^64+1 stay two). A body that is
// not valid JSON, is not valid UTF-8, or repeats a member name in an object
// counts as its bytes, as without the rule: never a 500, and never a guess
// at which of two members the handler reads. [WithFingerprintIgnore] names
// JSON Pointers (RFC 6901) whose values do not count, [WithFingerprintOnly]
// the only ones that do (nothing there differs from null); both imply
// canonical JSON. [WithFingerprintHeaders] makes headers count, all their
// values in order. [ValidPointer] checks a pointer; the options treat an
// invalid one as matching nothing.
//
// [WithKeyFromBody] takes the key from a JSON body (the string at a
// pointer) or a form body (the field named by the pointer's last token),
// with the header's rules and problem codes, and the header is not read.
//
// Without any rule the fingerprint is exactly what it was before the rules
// existed, so stored records still match; the rules cost their work only
// on the operations that set them. A rule fingerprint never matches a raw
// one: turning a rule on makes retries of requests stored before it 422
// until their records expire.
//
// # Stores
//
// A store that implements [ClaimStore] (MemoryStore within one process,
// the redisstore, pgstore and mysqlstore packages across many, or your own, checked
// with package storetest) gives exactly-once: an atomic claim with an
// owner token and a lease, which the middleware renews every third of
// [WithLease] while the handler runs; completion is token-checked and runs
// under a context without the request's cancellation, so a client that
// hangs up cannot leave its key stuck. A store that implements only the seed [Store] interface
// plugs in through [AdaptStore], with these limits: no fencing token (the
// store's Lock alone serialises processes), no lease and no takeover (a
// Lock left by a crashed process holds until the store drops it), in-flight
// details only for requests of this process (another process's gives 409,
// never 422), single-valued headers (repeated values joined with ", ", only
// the first Set-Cookie), no errors (so never a 503), and [DefaultTTL]
// unless [WithTTL] is given.
//
// A bounded MemoryStore ([MemoryOptions]) splits MaxBytes between its
// shards, and a record must fit in one shard's share: set
// MemoryOptions.MaxResponseBody to the [WithMaxResponseBody] it serves,
// and each share holds two such records. When room is needed it evicts
// the completed record nearest its expiry; a retry with an evicted key
// runs again. MemoryOptions.OnEvict reports each eviction as an [Event]
// with [OutcomeEvicted]: pass it the observer given to [WithObserver].
//
// # Exactly once, and what can still run twice
//
// A claim makes the handler run once per lease; the handler's side effect
// and the store's Complete are still two writes. What the middleware does
// about the window between them:
//
//   - A Complete that fails (the store went away after the handler
//     answered) is retried with backoff for [WithCompleteRetry] (default
//     5s) while the lease is renewed, so no retry of the client's takes
//     the key over meanwhile. The client gets its response first.
//   - A handler whose lease is lost (the store says another request took
//     the key over, or no renewal got through for a whole lease: a paused
//     process, a store outage) finds its context cancelled, with
//     [ErrLeaseLost] as context.Cause, and its Complete is refused by the
//     token if another request did take the key over. A handler that
//     checks its context before a side effect does not make it twice.
//   - [Info].Fence grows with every acquisition of a key, takeovers
//     included: hand it to a downstream system that keeps the largest
//     fence seen per key and refuses a write with a smaller one, and a
//     stale owner's late write is refused there.
//   - [WithTransaction] closes the window for writes to the store's own
//     database: they and the stored response commit in one transaction
//     ([TxStore]; pgstore and mysqlstore implement it), fenced by the
//     token, and the response is sent only after the commit.
//
// What can still run twice, without a transaction: a side effect that
// happened when the process then died, or the store stayed unreachable for
// longer than WithCompleteRetry, before the record was stored; after the
// lease a retry takes the key over and runs again (Info.TakenOver tells it
// so). The same after a lease lost to a pause or an outage, when the
// handler ignored its context's cancellation. With a transaction, only
// effects outside it (an e-mail, a call to another service), for which
// the fence is the guard.
//
// A fence may be compared across takeovers of one key only while the
// store still holds the key: a store that forgets a key (its record
// expired, its row was swept) starts the next owner's fence from its
// clock's microseconds, so fences still grow unless that clock went back.
//
//	fence := info.Fence // info, _ := idempotency.FromContext(r.Context())
//	// UPDATE ledger SET balance = $1, fence = $2 WHERE id = $3 AND fence < $2
//
// # Clients
//
// Keys are opaque: stripe-go sends "<UnixNano>_<6 base64url chars>", others
// UUIDs or numbers. Go's http.Transport itself resends a request carrying
// Idempotency-Key when a reused connection breaks, so a server may see a
// key twice with no application retry; that is a replay here. Some clients
// (stripe-go among them) retry a 409 at once, ignoring Retry-After;
// [WithWait] turns those retries into replays.
package idempotency
