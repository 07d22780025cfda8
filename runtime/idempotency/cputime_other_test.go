//go:build !unix

package idempotency

import "time"

var cpuStart = time.Now()

// cpuNow falls back to wall time where rusage is unavailable.
func cpuNow() time.Duration { return time.Since(cpuStart) }
