//go:build unix

package idempotency

import (
	"syscall"
	"time"
)

// cpuNow is the process's CPU time (user and system, all threads). The
// ratio benchmark times rounds with it because on a loaded machine wall
// time mostly measures the scheduler: a short round may run in one time
// slice while a longer one is preempted many times.
func cpuNow() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
