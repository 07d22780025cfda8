package replicatest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestKilledOwnerRedis(t *testing.T)    { testKilledOwner(t, redisBackend(t)) }
func TestKilledOwnerPostgres(t *testing.T) { testKilledOwner(t, postgresBackend(t)) }

// testKilledOwner kills (SIGKILL) a replica while its handler holds a key.
// The other replica refuses the key while the dead owner's lease runs,
// then takes it over and runs the handler exactly once. The dead owner's
// late Complete and Abandon, played through the store API with its token
// while the successor's handler is still running, are refused and do not
// disturb the successor's claim or its record.
func testKilledOwner(t *testing.T, b *backend) {
	const lease = 2 * time.Second
	logPath := t.TempDir() + "/runs.jsonl"
	owner := startReplica(t, b, logPath, "-lease", lease.String())
	other := startReplica(t, b, logPath, "-lease", lease.String())
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	key := stripeKey()

	held := make(chan answer, 1)
	go func() { held <- post(client, owner.url, key, "X-Hold", "1") }()
	waitForRuns(t, logPath, key, 1)
	claims := readLog(t, logPath, "claim", "")
	if len(claims) != 1 || claims[0].PID != owner.pid() {
		t.Fatalf("claims before the kill: %+v, want one by the owner %d", claims, owner.pid())
	}
	stale := claims[0]

	owner.kill()
	killed := time.Now()
	if a := <-held; a.err == nil {
		t.Fatalf("the killed replica answered: %+v", a)
	}

	// The owner renewed its lease every lease/3 until it died, so at least
	// 2/3 of it is left: a retry within lease/2 must be refused.
	a := post(client, other.url, key)
	if since := time.Since(killed); since < lease/2 && a.status != http.StatusConflict {
		t.Fatalf("retry %v after the kill answered %d, want 409 while the lease runs", since, a.status)
	}

	// Retry until the lease lapses; the winning retry works for a second,
	// long enough to play the dead owner's late calls against its claim.
	retried := make(chan answer, 1)
	go func() {
		for {
			a := post(client, other.url, key, "X-Work", "1s")
			if a.err != nil || a.status != http.StatusConflict || time.Since(killed) > lease+20*time.Second {
				retried <- a
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	waitForRuns(t, logPath, key, 2)

	ctx := context.Background()
	late := &idempotency.Record{
		Fingerprint: "stale", Status: http.StatusCreated, Body: []byte(`{"stale":true}`),
		CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour),
	}
	if err := b.store.Complete(ctx, stale.StoreKey, stale.Token, late); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("the killed owner's late Complete: %v, want ErrNotOwner", err)
	}
	if err := b.store.Abandon(ctx, stale.StoreKey, stale.Token); !errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("the killed owner's late Abandon: %v, want ErrNotOwner", err)
	}
	if c, err := b.store.Claim(ctx, stale.StoreKey, "probe", time.Minute); err != nil || c.State != idempotency.InFlight {
		t.Fatalf("the successor's claim after the late calls: %+v, %v; want in flight", c, err)
	}

	a = <-retried
	if a.err != nil || a.status != http.StatusCreated || a.replayed {
		t.Fatalf("retry after the lease: %+v, want the handler's own 201", a)
	}
	if !strings.Contains(a.body, fmt.Sprintf(`"pid":%d`, other.pid())) {
		t.Fatalf("the retry ran elsewhere: %s", a.body)
	}
	claims = readLog(t, logPath, "claim", "")
	if last := claims[len(claims)-1]; len(claims) != 2 || !last.TakenOver || last.PID != other.pid() {
		t.Fatalf("claims: %+v, want the retry's claim to be a takeover", claims)
	}
	again := post(client, other.url, key)
	if again.err != nil || !again.replayed || again.body != a.body {
		t.Fatalf("replay after the late calls: %+v, want the retry's %s", again, a.body)
	}
	runs := readLog(t, logPath, "run", key)
	if len(runs) != 2 || runs[0].PID != owner.pid() || runs[1].PID != other.pid() {
		t.Fatalf("runs: %+v, want the killed owner's and exactly one retry", runs)
	}
}

// waitForRuns waits until the log shows n handler runs for key.
func waitForRuns(t *testing.T, logPath, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(readLog(t, logPath, "run", key)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the handler for %s never ran %d times", key, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
