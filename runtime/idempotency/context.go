package idempotency

import "context"

type infoKey struct{}

// FromContext returns the idempotency [Info] of the request whose context
// ctx is. It is there while a handler runs under a claimed key; ok is false
// for requests without a key or outside the middleware. Info.Replayed is
// always false here, since a replay never runs the handler; it is part of
// the seed API for code that builds an Info of its own.
func FromContext(ctx context.Context) (Info, bool) {
	info, ok := ctx.Value(infoKey{}).(*Info)
	if !ok || info == nil {
		return Info{}, false
	}
	return *info, true
}

// guarded reports whether ctx is that of a request an idempotency layer
// already runs under a claimed key: the [Info] it hands the handler marks
// it, whichever store or Middleware claimed it.
func guarded(ctx context.Context) bool {
	_, ok := ctx.Value(infoKey{}).(*Info)
	return ok
}
