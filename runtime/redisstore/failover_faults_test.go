package redisstore

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The ways a master can be failed over, each as a test can cause it.
var (
	// gracefulFailover is an operator's CLUSTER FAILOVER on the replica:
	// the master stops its clients until the replica has caught up, so
	// nothing is lost. The handler finishes while the roles swap.
	gracefulFailover = fault{
		name: "graceful",
		inject: func(t *testing.T, e *failoverEnv, fr *faultRun) {
			if err := e.c.direct(fr.replica).Do(context.Background(), "CLUSTER", "FAILOVER").Err(); err != nil {
				t.Fatalf("CLUSTER FAILOVER on %s: %v", fr.replica, err)
			}
			fr.release()
		},
		heal: func(*testing.T, *failoverEnv, *faultRun) {}, // the old master is now a replica
	}

	// killedMaster is a crash (SIGKILL) of the master while the handler
	// runs; the handler finishes 100ms later, long before the replica is
	// promoted, so its Complete meets a slot with no master.
	killedMaster = fault{
		name: "kill",
		inject: func(t *testing.T, e *failoverEnv, fr *faultRun) {
			e.c.kill(fr.master)
			time.Sleep(100 * time.Millisecond)
			fr.release()
		},
		heal: func(t *testing.T, e *failoverEnv, fr *faultRun) { e.c.restart(fr.master) },
	}

	// killedPatient is killedMaster with an owner whose client retries
	// longer (MaxRedirects 10, about three seconds of backoff, not one):
	// its Complete may outlast the outage and land on the new master.
	killedPatient = fault{
		name:   "kill-patient",
		tune:   func(o *redis.ClusterOptions) { o.MaxRedirects = 10 },
		inject: killedMaster.inject,
		heal:   killedMaster.heal,
	}

	// slowKill is a crash of the master while a handler runs that outlasts
	// the failover: it finishes a second after the replica's promotion, so
	// its lease must be renewed on the new master in time.
	slowKill = fault{
		name: "kill-slow",
		inject: func(t *testing.T, e *failoverEnv, fr *faultRun) {
			e.c.kill(fr.master)
			e.c.waitMaster(fr.replica, 20*time.Second)
			time.Sleep(time.Second)
			fr.release()
		},
		heal: func(t *testing.T, e *failoverEnv, fr *faultRun) { e.c.restart(fr.master) },
	}

	// pausedMaster is a master frozen (SIGSTOP) long enough to be failed
	// over, as a GC-like stall, a swapped-out VM or DEBUG SLEEP would
	// freeze it. The handler finishes while it is frozen; the master
	// thaws once its replica is promoted, with the Complete, and any
	// retries of it, still unread in its sockets.
	pausedMaster = fault{
		name: "pause",
		inject: func(t *testing.T, e *failoverEnv, fr *faultRun) {
			e.c.pause(fr.master)
			time.Sleep(100 * time.Millisecond)
			fr.release()
			e.c.waitMaster(fr.replica, 20*time.Second)
			e.c.resume(fr.master)
		},
		heal: func(*testing.T, *failoverEnv, *faultRun) {},
	}

	// lostWrite makes asynchronous replication lose the completed record:
	// the replica is frozen and its socket filled (64MB written to its
	// master), so the record's Complete, acknowledged to the middleware
	// and answered 201 to the client, waits in the master's output buffer
	// when the master crashes. The replica is then promoted without it, as
	// a replica cut off by a network partition would be.
	lostWrite = fault{
		name: "lost-write",
		inject: func(t *testing.T, e *failoverEnv, fr *faultRun) {
			e.c.holdBack(fr.master, fr.replica, fr.recordKey)
			fr.release()
			for deadline := time.Now().Add(5 * time.Second); !slices.Contains(fr.owner.outcomes(fr.key), "completed"); {
				if time.Now().After(deadline) {
					t.Fatalf("the held request did not complete: %v", fr.owner.outcomes(fr.key))
				}
				time.Sleep(5 * time.Millisecond)
			}
			e.c.kill(fr.master)
			e.c.resume(fr.replica)
			e.c.waitMaster(fr.replica, 20*time.Second)
		},
		heal: func(t *testing.T, e *failoverEnv, fr *faultRun) { e.c.restart(fr.master) },
	}
)

func failoverFaults() []fault {
	return []fault{gracefulFailover, killedMaster, killedPatient, slowKill, pausedMaster, lostWrite}
}

// redisClientFor is a plain client of one node that a goroutine other
// than the test's may use; the caller closes it.
func redisClientFor(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second})
}

// holdBack freezes replica and fills the replication stream from master
// beyond what the sockets between them buffer (64MB, in the slot of
// recordKey), so that the master's next writes wait in its own memory
// until the replica resumes; a master killed before then takes them
// along. The caller resumes the replica.
func (c *replicatedCluster) holdBack(master, replica, recordKey string) {
	c.tb.Helper()
	c.pause(replica)
	junk := "junk:" + recordKey[strings.Index(recordKey, "{"):] // same slot
	blob := strings.Repeat("x", 32<<20)
	for range 2 {
		if err := c.direct(master).Set(context.Background(), junk, blob, 0).Err(); err != nil {
			c.tb.Fatalf("filling the replication stream: %v", err)
		}
	}
}
