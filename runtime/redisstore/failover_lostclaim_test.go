package redisstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// keyProbe learns the store key the middleware derives from a client's
// key, without writing anything: it notes the key and fails the claim.
type keyProbe struct {
	*Store
	key string
}

var errProbe = errors.New("probe: nothing is claimed")

func (p *keyProbe) Claim(_ context.Context, key, _ string, _ time.Duration) (idempotency.Claim, error) {
	p.key = key
	return idempotency.Claim{}, errProbe
}

// lostClaimResult is what a claim that its master lost did.
type lostClaimResult struct {
	held     answer   // the first request's answer
	owner    []string // the first instance's outcomes for the key
	retry    answer   // the first retry that got a 201
	after    answer   // a retry once both runs ended
	runs     []run
	overlap  bool
	promoted time.Duration
}

func (r lostClaimResult) String() string {
	return fmt.Sprintf("held=%d owner=%v runs=%d overlap=%v promoted=%v retry=%d(replayed %v) after=%d(replayed %v)",
		r.held.status, r.owner, len(r.runs), r.overlap, r.promoted.Round(10*time.Millisecond),
		r.retry.status, r.retry.replayed, r.after.status, r.after.replayed)
}

// lostClaim holds back the replica of the master that will own a key,
// claims the key on that master through owner (the handler then waits),
// and crashes the master: the promoted replica never saw the claim. An
// owner whose store waits for a replica's acknowledgement (WithReplicaAck)
// answers 503 instead of running the handler; the crash comes after.
func (e *failoverEnv) lostClaim(t *testing.T, owner *instance) lostClaimResult {
	t.Helper()
	e.n++
	key := fmt.Sprintf("lost-claim-%d-%d", e.n, time.Now().UnixNano())
	probe := &keyProbe{Store: owner.store}
	ps := httptest.NewServer(idempotency.New(probe).Handler(e.book.handler("probe")))
	defer ps.Close()
	(&instance{srv: ps}).post(key)
	if probe.key == "" {
		t.Fatal("the probe saw no claim")
	}
	recordKey := owner.store.keys(probe.key)[0]
	master, replica := e.c.owner(context.Background(), recordKey)
	e.c.waitSettled(10 * time.Second)

	e.c.holdBack(master, replica, recordKey)
	release := e.book.holdKey(key)
	defer release()
	held := make(chan answer, 1)
	go func() { held <- owner.post(key) }()
	var res lostClaimResult
	acked := owner.store.ack.replicas > 0
	if acked {
		select {
		case res.held = <-held:
		case <-time.After(5 * time.Second):
			release()
			e.c.resume(replica)
			t.Fatalf("the claim no replica acknowledged was not refused: the handler ran %d time(s)", len(e.book.of(key)))
		}
		release() // no run of this request will wait; the retry must not
	}
	for deadline := time.Now().Add(5 * time.Second); !acked && len(e.book.of(key)) == 0; {
		if time.Now().After(deadline) {
			e.c.resume(replica)
			t.Fatalf("the held request never reached its handler: %v", owner.outcomes(key))
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.c.kill(master)
	e.c.resume(replica)
	res.promoted = e.c.waitMaster(replica, 20*time.Second)

	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if res.retry = e.other.post(key); res.retry.ok() {
			break
		}
	}
	res.overlap = e.book.overlapping(key) // before the held run ends
	release()
	if !acked {
		res.held = <-held
	}
	res.after = e.other.post(key)
	res.owner = owner.outcomes(key)
	res.runs = e.book.of(key)
	e.c.restart(master)
	e.c.waitSettled(30 * time.Second)
	return res
}

// checkLostClaim checks what doc.go says of a lost claim: a retry runs
// the handler at once, beside the first run; the first run's client still
// gets its own 201, but its Complete is refused (the successor owns the
// key), and later retries replay the successor's response.
func checkLostClaim(t *testing.T, res lostClaimResult) {
	t.Helper()
	if !res.held.ok() || res.held.replayed {
		t.Fatalf("the first request got %+v, want the handler's own 201", res.held)
	}
	if !res.retry.ok() || res.retry.replayed || !res.overlap || len(res.runs) != 2 {
		t.Fatalf("retry %+v, overlap %v, %d runs: want the retry to run beside the first run; "+
			"did the replica receive the claim before the crash?", res.retry, res.overlap, len(res.runs))
	}
	if !slices.Contains(res.owner, "ownership_lost") || slices.Contains(res.owner, "completed") {
		t.Fatalf("first instance's outcomes %v, want its Complete refused", res.owner)
	}
	if !res.after.replayed || res.after.body != res.retry.body {
		t.Fatalf("after both runs: %+v, want a replay of the retry's %s", res.after, res.retry.body)
	}
}

// checkAckedClaim checks what doc.go says of WithReplicaAck: the claim
// the replica never acknowledged is refused with 503, the handler does
// not run on it, and after the failover a retry runs it once.
func checkAckedClaim(t *testing.T, res lostClaimResult) {
	t.Helper()
	if res.held.err != nil || res.held.status != http.StatusServiceUnavailable {
		t.Fatalf("the unacknowledged claim got %+v, want 503", res.held)
	}
	if !slices.Equal(res.owner, []string{"store_error"}) {
		t.Fatalf("outcomes of the unacknowledged claim %v, want one store_error", res.owner)
	}
	if !res.retry.ok() || res.retry.replayed || res.overlap || len(res.runs) != 1 {
		t.Fatalf("retry %+v, overlap %v, %d runs: want the retry to run the handler once", res.retry, res.overlap, len(res.runs))
	}
	if !res.after.replayed || res.after.body != res.retry.body {
		t.Fatalf("afterwards: %+v, want a replay of the retry's %s", res.after, res.retry.body)
	}
}
