package idemclient

import "context"

// Call is what happened to one logical call: the key it was sent with,
// how many attempts it took, and whether the answer was a replay of an
// earlier attempt's (the server's Idempotency-Replayed: true).
//
// The transport fills it before RoundTrip returns; read it after
// http.Client.Do returns, whatever Do returned.
type Call struct {
	Key      string
	Attempts int
	Replayed bool
}

type callKey struct{}

// WithCall returns a context for one request and the Call the transport
// fills for it. A request that matches no route leaves it zero.
func WithCall(ctx context.Context) (context.Context, *Call) {
	c := new(Call)
	return context.WithValue(ctx, callKey{}, c), c
}

// callFrom returns the Call of ctx, or nil.
func callFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}
