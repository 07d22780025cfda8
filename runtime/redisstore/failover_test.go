package redisstore

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// failoverResult is what one failover of the master that owns a held
// request's key did to that request and to its retries.
type failoverResult struct {
	held      answer        // the held request's own answer
	owner     []string      // the owner instance's outcomes for the key
	retries   []answer      // the other instance's retries, in order
	runs      []run         // the handler's runs for the key
	overlap   bool          // two runs were running at once
	promoted  time.Duration // fault → the replica is a master
	available time.Duration // fault → the first retry not answered 503
	settled   time.Duration // fault → the first retry answered 201
}

// counts summarises the retries' answers in order, run-length encoded:
// "409×12 503×3 409×20 201×1"; a replay is "201r", a transport error "err".
func (r failoverResult) counts() string {
	var parts []string
	last, n := "", 0
	flush := func() {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", last, n))
		}
	}
	for _, a := range r.retries {
		k := strconv.Itoa(a.status)
		if a.err != nil {
			k = "err"
		} else if a.replayed {
			k += "r"
		}
		if k != last {
			flush()
			last, n = k, 0
		}
		n++
	}
	flush()
	return strings.Join(parts, " ")
}

func (r failoverResult) String() string {
	return fmt.Sprintf("held=%d owner=%v runs=%d overlap=%v promoted=%v available=%v settled=%v retries=[%s]",
		r.held.status, r.owner, len(r.runs), r.overlap, r.promoted.Round(10*time.Millisecond),
		r.available.Round(10*time.Millisecond), r.settled.Round(10*time.Millisecond), r.counts())
}

// failoverEnv is a replicated cluster with two instances of the service
// on it, each with a ClusterClient of its own.
type failoverEnv struct {
	c            *replicatedCluster
	book         *runBook
	owner, other *instance
	n            int // keys used so far
}

func newFailoverEnv(t *testing.T) *failoverEnv {
	c := startReplicatedCluster(t)
	book := newRunBook()
	return &failoverEnv{c: c, book: book,
		owner: newInstance(t, "owner", c, "failover", book, nil),
		other: newInstance(t, "other", c, "failover", book, nil)}
}

// fault is one way to fail over a master: inject breaks (or hands over)
// the master and releases the held handler when it sees fit; heal brings
// the cluster back to three masters with a replica each.
type fault struct {
	name   string
	tune   func(*redis.ClusterOptions) // the owner's client options, if not the default ones
	inject func(t *testing.T, e *failoverEnv, fr *faultRun)
	heal   func(t *testing.T, e *failoverEnv, fr *faultRun)
}

// faultRun is what a fault is told about the request it breaks.
type faultRun struct {
	key       string    // the client's idempotency key
	owner     *instance // the instance whose handler holds the key
	recordKey string    // its record's Redis key
	master    string    // the master of its slot when the fault begins
	replica   string    // that master's replica
	release   func()    // lets the held handler finish
}

// failover holds a request's handler on the owner instance, fails over
// the master of its key's slot with f, and retries the key from the other
// instance every 50ms from the fault on, until a retry gets a 201 after
// the fault is over (the handler released, and whatever else the fault
// waits for).
func (e *failoverEnv) failover(t *testing.T, f fault, owner *instance) failoverResult {
	t.Helper()
	e.n++
	key := fmt.Sprintf("%s-%d-%d", f.name, e.n, time.Now().UnixNano())
	release := e.book.holdKey(key)
	defer release()
	held := make(chan answer, 1)
	go func() { held <- owner.post(key) }()
	for deadline := time.Now().Add(10 * time.Second); len(e.book.of(key)) == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the held request never reached its handler: %v", owner.outcomes(key))
		}
		time.Sleep(5 * time.Millisecond)
	}
	fr := &faultRun{key: key, owner: owner, recordKey: owner.lastRecordKey(t)}
	fr.master, fr.replica = e.c.owner(context.Background(), fr.recordKey)
	e.c.waitSettled(10 * time.Second) // the claim is on the replica too

	var res failoverResult
	t0 := time.Now()
	promoted := make(chan time.Duration, 1)
	go func() { promoted <- e.c.waitMasterQuiet(fr.replica, 30*time.Second) }()
	retries := make(chan []answer, 1)
	injected := make(chan struct{})
	go func() {
		var out []answer
		done := false
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
			select {
			case <-injected:
				done = true
			default:
			}
			a := e.other.post(key)
			out = append(out, a)
			if done && a.ok() {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		retries <- out
	}()
	var once sync.Once
	fr.release = func() { once.Do(release) }
	f.inject(t, e, fr)
	fr.release()
	close(injected)
	res.held = <-held
	res.retries = <-retries
	res.promoted = <-promoted
	for _, a := range res.retries {
		if res.available == 0 && a.err == nil && a.status != http.StatusServiceUnavailable {
			res.available = a.at.Sub(t0)
		}
		if res.settled == 0 && a.ok() {
			res.settled = a.at.Sub(t0)
		}
	}
	res.owner = owner.outcomes(key)
	res.runs = e.book.of(key)
	res.overlap = e.book.overlapping(key)
	f.heal(t, e, fr)
	e.c.waitSettled(30 * time.Second)
	return res
}

// waitMasterQuiet is waitMaster for another goroutine: it reports a
// timeout as a negative duration instead of failing the test.
func (c *replicatedCluster) waitMasterQuiet(addr string, within time.Duration) time.Duration {
	cl := redisClientFor(addr)
	defer cl.Close()
	start := time.Now()
	for time.Since(start) < within {
		if strings.Contains(cl.Info(context.Background(), "replication").Val(), "role:master") {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return -1
}

// TestClusterFailover fails over the master that owns a held request's
// key, in each way of failoverFaults, and checks what doc.go promises:
// the client gets the handler's 201; two runs of one key never overlap;
// a replay only ever carries a response the handler produced for that
// key; the key ends completed, replayed to every retry; and the handler
// runs again exactly when the completed record did not reach the new
// master (a Complete that failed during the outage, or one the replica
// never received), and then only after the lease ran out. Each fault runs
// once; IDEMGEN_SOAK=1 runs each ten times and logs the counts.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a six-node cluster and fails masters over")
	}
	rounds := 1
	if os.Getenv("IDEMGEN_SOAK") != "" {
		rounds = 10
	}
	e := newFailoverEnv(t)
	for _, f := range failoverFaults() {
		t.Run(f.name, func(t *testing.T) {
			owner := e.owner
			if f.tune != nil {
				owner = newInstance(t, f.name, e.c, "failover", e.book, nil, f.tune)
			}
			reruns := 0
			for i := range rounds {
				res := e.failover(t, f, owner)
				t.Logf("#%d: %s", i, res)
				checkFailover(t, f, res)
				if len(res.runs) > 1 {
					reruns++
				}
			}
			t.Logf("%s: the handler ran again in %d of %d failovers", f.name, reruns, rounds)
		})
	}
	t.Run("lost-claim", func(t *testing.T) {
		for i := range rounds {
			res := e.lostClaim(t, e.owner)
			t.Logf("#%d: %s", i, res)
			checkLostClaim(t, res)
		}
	})
	t.Run("lost-claim-acked", func(t *testing.T) {
		acked := newInstance(t, "acked", e.c, "failover", e.book, []Option{WithReplicaAck(1, 250*time.Millisecond)})
		for i := range rounds {
			res := e.lostClaim(t, acked)
			t.Logf("#%d: %s", i, res)
			checkAckedClaim(t, res)
		}
	})
}

// checkFailover checks one failover's result against what doc.go says.
func checkFailover(t *testing.T, f fault, res failoverResult) {
	t.Helper()
	if !res.held.ok() || res.held.replayed {
		t.Fatalf("the held request got %+v, want the handler's own 201", res.held)
	}
	if res.overlap {
		t.Fatalf("two runs of the key overlapped: %+v", res.runs)
	}
	if len(res.runs) > 2 {
		t.Fatalf("the handler ran %d times: %+v", len(res.runs), res.runs)
	}
	last := res.retries[len(res.retries)-1]
	if !last.ok() {
		t.Fatalf("the last retry got %+v, want a 201", last)
	}
	// A replay carries the held run's response until a retry ran the
	// handler again (at most once), and that run's response after it.
	var rerun *answer
	for i, a := range res.retries {
		switch {
		case !a.ok():
		case !a.replayed && rerun != nil:
			t.Fatalf("the handler ran again twice: %s and %s", rerun.body, a.body)
		case !a.replayed:
			rerun = &res.retries[i]
		case rerun == nil && a.body != res.held.body, rerun != nil && a.body != rerun.body:
			t.Fatalf("a retry replayed %s; the held run answered %s, the re-run %+v", a.body, res.held.body, rerun)
		}
	}
	if (rerun != nil) != (len(res.runs) == 2) {
		t.Fatalf("%d runs, but a retry's own 201: %+v", len(res.runs), rerun)
	}
	completed := slices.Contains(res.owner, "completed")
	lost := f.name == lostWrite.name
	switch final := res.owner[len(res.owner)-1]; {
	case completed && !lost:
		if len(res.runs) != 1 || last.body != res.held.body {
			t.Fatalf("the owner stored its response, yet runs %d, last retry %+v", len(res.runs), last)
		}
	case completed && lost:
		if len(res.runs) != 2 {
			t.Fatalf("the completed record was meant to be lost with its master, yet the handler ran %d time(s); "+
				"did the replica catch up before the crash?", len(res.runs))
		}
	case final == "ownership_lost", final == "store_error":
		// Complete failed in the outage, or retried until the lease ran
		// out and a retry took over.
		if len(res.runs) != 2 {
			t.Fatalf("the owner's response was not stored (%v), yet the handler ran %d time(s)", res.owner, len(res.runs))
		}
	default:
		t.Fatalf("owner outcomes %v", res.owner)
	}
	switch f.name {
	case gracefulFailover.name, slowKill.name:
		if !completed || len(res.runs) != 1 {
			t.Fatalf("%s: owner %v, %d runs; want the response stored and replayed", f.name, res.owner, len(res.runs))
		}
	}
}
