package replicatest

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// answer is what one client request got back.
type answer struct {
	status   int
	replayed bool
	replica  []string
	body     string
	err      error
}

// stripeKey looks like the keys stripe-go sends: UnixNano, "_", 6 random
// characters.
func stripeKey() string {
	return fmt.Sprintf("%d_%s", time.Now().UnixNano(), rand.Text()[:6])
}

// post sends the payment request; header pairs (name, value) are added.
func post(client *http.Client, url, key string, header ...string) answer {
	req, err := http.NewRequest(http.MethodPost, url+"/payments", strings.NewReader(`{"amount":4200,"currency":"eur"}`))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{
		status:   resp.StatusCode,
		replayed: resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true",
		replica:  resp.Header.Values("X-Replica"),
		body:     string(body),
		err:      err,
	}
}

func TestOneKeyTwoReplicasRedis(t *testing.T)    { testOneKeyTwoReplicas(t, redisBackend(t)) }
func TestOneKeyTwoReplicasPostgres(t *testing.T) { testOneKeyTwoReplicas(t, postgresBackend(t)) }

// testOneKeyTwoReplicas sends 200 concurrent requests with one key, split
// between two replica processes: the handler runs exactly once across
// both, and every other answer is a replay of that run or a 409.
func testOneKeyTwoReplicas(t *testing.T, b *backend) {
	logPath := t.TempDir() + "/runs.jsonl"
	replicas := []*replica{
		startReplica(t, b, logPath, "-work", "100ms"),
		startReplica(t, b, logPath, "-work", "100ms"),
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100}}
	defer client.CloseIdleConnections()

	const n = 200
	key := stripeKey()
	answers := make([]answer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			// Spread the requests over about twice the handler's time, so
			// some arrive while it runs (409) and some after (replay).
			time.Sleep(time.Duration(i%50) * 4 * time.Millisecond)
			answers[i] = post(client, replicas[i%2].url, key)
		})
	}
	close(start)
	wg.Wait()

	var winner *answer
	replays, conflicts := 0, 0
	for i := range answers {
		a := &answers[i]
		switch {
		case a.err != nil:
			t.Fatalf("request %d: %v", i, a.err)
		case a.status == http.StatusCreated && !a.replayed:
			if winner != nil {
				t.Fatalf("two requests ran the handler:\n%s\n%s", winner.body, a.body)
			}
			winner = a
		case a.status == http.StatusCreated && a.replayed:
			replays++
		case a.status == http.StatusConflict:
			conflicts++
		default:
			t.Fatalf("request %d answered %d (replayed %v): %s", i, a.status, a.replayed, a.body)
		}
	}
	if winner == nil {
		t.Fatal("no request ran the handler")
	}
	for i, a := range answers {
		if a.replayed && (a.body != winner.body || !reflect.DeepEqual(a.replica, winner.replica)) {
			t.Fatalf("replay %d differs from the run:\n got %s %v\nwant %s %v", i, a.body, a.replica, winner.body, winner.replica)
		}
	}
	if runs := readLog(t, logPath, "run", key); len(runs) != 1 {
		t.Fatalf("handler ran %d times across both replicas, want once: %+v", len(runs), runs)
	}
	// Whichever replica ran it, both now replay it.
	for _, r := range replicas {
		a := post(client, r.url, key)
		if a.err != nil || !a.replayed || a.body != winner.body {
			t.Fatalf("replica %d after the burst: %+v, want a replay of %s", r.pid(), a, winner.body)
		}
	}
	t.Logf("1 run (%v), %d replays, %d conflicts", winner.replica, replays, conflicts)
}
