package redisstore

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// countingService is a POST handler behind the middleware that counts its
// runs per idempotency key.
type countingService struct {
	mu   sync.Mutex
	runs map[string]int
	// hold makes the handler for a key wait until the channel closes.
	hold map[string]chan struct{}
	srv  *httptest.Server
}

func newCountingService(t *testing.T, store idempotency.Store, opts ...idempotency.Option) *countingService {
	cs := &countingService{runs: map[string]int{}, hold: map[string]chan struct{}{}}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(idempotency.HeaderIdempotencyKey)
		cs.mu.Lock()
		cs.runs[key]++
		gate := cs.hold[key]
		cs.mu.Unlock()
		if gate != nil {
			<-gate
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"key":%q}`, r.Header.Get(idempotency.HeaderIdempotencyKey))
	})
	cs.srv = httptest.NewServer(idempotency.NewMiddleware(store, opts...).Handler(h))
	t.Cleanup(cs.srv.Close)
	return cs
}

// post sends one keyed request. It is called from other goroutines too, so
// a transport error is reported with t.Error and answered with status 0,
// which every caller's status check then rejects, instead of t.Fatal,
// which would leave the test waiting for an answer that never comes.
func (cs *countingService) post(t *testing.T, key string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, cs.srv.URL+"/payments", strings.NewReader(`{"amount":42}`))
	req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	resp, err := cs.srv.Client().Do(req)
	if err != nil {
		t.Errorf("POST with key %q: %v", key, err)
		return &http.Response{Header: http.Header{}}
	}
	resp.Body.Close()
	return resp
}

func (cs *countingService) count(key string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.runs[key]
}

// TestMiddlewareRedisDown stops Redis under a running service: every keyed
// request gets 503 and no handler runs; once the server is back on its
// port, the same client and middleware serve again, replaying what was
// stored before the outage and never running a handler twice. A request
// whose handler was running when Redis died keeps retrying its Complete
// while its lease lasts: its retry is refused (409) until Redis is back,
// then replays, and the handler never runs again.
func TestMiddlewareRedisDown(t *testing.T) {
	srv := startPrivateRedis(t, true)
	client := redis.NewClient(&redis.Options{
		Addr: srv.addr(), DialTimeout: 300 * time.Millisecond,
		ReadTimeout: 300 * time.Millisecond, MaxRetries: 1,
	})
	defer client.Close()
	var mu sync.Mutex
	outcomes := map[string]int{} // key + " " + outcome
	svc := newCountingService(t, New(client, WithPrefix("down")),
		idempotency.WithObserver(func(e idempotency.Event) {
			mu.Lock()
			outcomes[e.Key+" "+e.Outcome.String()]++
			mu.Unlock()
		}))

	if resp := svc.post(t, "before"); resp.StatusCode != http.StatusCreated {
		t.Fatalf("before the outage: %d", resp.StatusCode)
	}
	if resp := svc.post(t, "before"); resp.Header.Get(idempotency.HeaderIdempotencyReplayed) != "true" {
		t.Fatal("second request before the outage was not a replay")
	}

	gate := make(chan struct{})
	svc.mu.Lock()
	svc.hold["inflight"] = gate
	svc.mu.Unlock()
	inflight := make(chan int, 1)
	go func() { inflight <- svc.post(t, "inflight").StatusCode }()
	for deadline := time.Now().Add(10 * time.Second); svc.count("inflight") == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the held request never reached its handler")
		}
		time.Sleep(5 * time.Millisecond)
	}

	srv.stop()
	close(gate)
	if code := <-inflight; code != http.StatusCreated {
		t.Fatalf("request in flight at the outage answered %d, want the handler's 201", code)
	}
	var wg sync.WaitGroup
	codes := make(chan int, 20)
	for i := range 20 {
		key := []string{"before", "during"}[i%2]
		wg.Go(func() { codes <- svc.post(t, key).StatusCode })
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusServiceUnavailable {
			t.Fatalf("request during the outage answered %d, want 503", code)
		}
	}
	if n := svc.count("during"); n != 0 {
		t.Fatalf("handler ran %d times without a store", n)
	}
	mu.Lock()
	storeErrors := outcomes["before store_error"] + outcomes["during store_error"]
	mu.Unlock()
	if storeErrors != 20 {
		t.Fatalf("%d store_error outcomes during the outage, want 20 (%v)", storeErrors, outcomes)
	}

	srv.start()
	deadline := time.Now().Add(5 * time.Second)
	for svc.post(t, "during").StatusCode == http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("service did not resume after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, key := range []string{"before", "during"} {
		resp := svc.post(t, key)
		if resp.StatusCode != http.StatusCreated || resp.Header.Get(idempotency.HeaderIdempotencyReplayed) != "true" {
			t.Errorf("%s after the restart: %d, replayed %q; want a replay",
				key, resp.StatusCode, resp.Header.Get(idempotency.HeaderIdempotencyReplayed))
		}
		if n := svc.count(key); n != 1 {
			t.Errorf("handler for %s ran %d times, want exactly once", key, n)
		}
	}
	// The request cut by the outage kept retrying its Complete
	// (WithCompleteRetry, 5s by default) while Redis was down, so once
	// Redis is back its response is stored and the retry replays it.
	deadline = time.Now().Add(5 * time.Second)
	for {
		resp := svc.post(t, "inflight")
		if resp.StatusCode == http.StatusCreated && resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true" {
			break
		}
		if resp.StatusCode != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("retry of the request cut by the outage: %d, replayed %q; want 409 until its Complete lands, then the replay",
				resp.StatusCode, resp.Header.Get(idempotency.HeaderIdempotencyReplayed))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := svc.count("inflight"); n != 1 {
		t.Errorf("handler cut by the outage ran %d times, want once", n)
	}
}
