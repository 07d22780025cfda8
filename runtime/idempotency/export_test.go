package idempotency

import "time"

// SetMemoryClock gives the external tests (package idempotency_test) the
// clock hook of MemoryOptions, which is unexported: a store's clock is a
// testing device, not an option for users.
func SetMemoryClock(opts *MemoryOptions, clock func() time.Time) { opts.clock = clock }
