// Package storetest checks an idempotency store against the contracts of
// package idempotency, in one call from a test of your own.
//
// [Run] checks a [idempotency.ClaimStore]: the claim, complete and replay
// round trip, in-flight answers, token fencing, lease takeover and renewal,
// record expiry, key isolation, cancelled contexts, and a race of 64
// goroutines on one fresh key that must yield exactly one winner, repeated
// 1,000 times. [RunSeed] checks the seed [idempotency.Store], and, for a
// store that is both, that its seed Get returns what Complete stored, with
// several values of a header joined as [idempotency.CachedResponse] says.
//
// The factory is called once per subtest and must return an empty store of
// its own (a fresh key prefix is enough for a shared server), registering
// any cleanup with t.Cleanup:
//
//	func TestMyStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) idempotency.ClaimStore {
//			s := mystore.New(client, mystore.WithPrefix(t.Name()+":"))
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// [RunWith] tunes the suite, for example fewer race rounds in -short mode.
// Timing is generous so that a store behind a busy network server passes:
// leases are 200ms, and states that take time to change are polled for up
// to [Options.Patience] rather than awaited with fixed sleeps.
package storetest
