// Package idemclient is the client half of the idempotency contract: an
// http.RoundTripper that gives each call to an idempotent operation an
// Idempotency-Key and retries it while a retry can help, so that a call
// whose answer was lost on the way still happens exactly once.
//
// It depends on the standard library only.
//
// # Usage
//
//	client := idemclient.NewClient([]idemclient.Route{
//		{Method: "POST", Pattern: "/payments"},
//		{Method: "POST", Pattern: "/payments/{id}/refunds",
//			Policy: idemclient.Policy{Required: true, TTL: 48 * time.Hour}},
//	})
//	ctx, call := idemclient.WithCall(ctx) // optional: what happened
//	req, _ := http.NewRequestWithContext(ctx, "POST", base+"/payments", body)
//	resp, err := client.Do(req)
//	var refused *idemclient.ProblemError
//	if errors.As(err, &refused) { /* refused.Code says why */ }
//
// idemgen generates the route table from the operations marked
// x-idempotent; a generated client (oapi-codegen's WithHTTPClient) takes
// the http.Client.
//
// # What the transport does
//
// A request matches a route when its method does (in any letter case) and
// the route's path template matches the end of its escaped path at a
// segment boundary: "/payments/{id}/refunds" matches
// "/v1/payments/7/refunds", so a server URL with a base path needs nothing
// more. A {param} takes one segment. Requests that match no route pass
// through untouched: no key, no retry.
//
// For a matched request, the transport
//
//   - adds an Idempotency-Key of 128 random bits, unless the caller set
//     one, and sends the same key and the same body (from req.GetBody)
//     with every attempt;
//   - retries a connection that failed, before the request was written or
//     after (a reset, an EOF, a timeout), a 409 idempotency_key_in_use (the
//     first attempt is still running), and 429, 502, 503 and 504;
//   - waits the server's Retry-After (seconds or an HTTP-date) before a
//     retry, else a random delay up to BaseDelay doubled per retry, at most
//     MaxDelay;
//   - stops after MaxAttempts attempts, or when the next one would start
//     more than MaxElapsed after the first (capped at half the route's
//     TTL, so that no retry reaches a server that has forgotten the key),
//     or after the request context's deadline: a Retry-After longer than
//     what is left ends the retries, and the last answer is returned;
//   - stops at once when the request context is cancelled, with the
//     context's error;
//   - never retries another 4xx. When the answer is one of the
//     idempotency layer's own refusals (an application/problem+json body
//     with one of the Code constants: a key refused, a body too large, a
//     key reused for a different request, or a 409 in use that outlasted
//     the retries), it closes the body and returns a *ProblemError, which
//     http.Client.Do wraps in a *url.Error; errors.As finds it. Any other
//     answer, the application's own 400 included, is returned as it came,
//     and so is the last 429 or 5xx when the retries run out.
//
// Retrying after the request was written is safe only because of the key:
// the server runs the operation once per key and replays its answer to
// every later attempt (with Idempotency-Replayed: true, which Call
// reports). A request whose body cannot be produced again (a Body and no
// GetBody: http.NewRequest sets GetBody for a *bytes.Buffer, a
// *bytes.Reader and a *strings.Reader, not for other readers) gets its key
// but is sent once, never retried.
//
// An attempt under way is never cut short by MaxElapsed: bound it with the
// request's context or http.Client.Timeout, which bound the whole call.
//
// # Against other clients
//
// stripe-go retries a 409 at once, ignoring Retry-After, and gives up
// after about 1.3 s; this transport waits as the server asks and gives up
// within MaxElapsed. Go's http.Transport, the default Base, itself resends
// a request that carries Idempotency-Key when a reused connection breaks;
// those resends are not counted in Call.Attempts.
package idemclient
