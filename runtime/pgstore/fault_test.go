package pgstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/testsvc"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/jackc/pgx/v5"
)

// errorCounter is a pgx tracer that counts statements that failed.
type errorCounter struct{ n atomic.Int64 }

func (e *errorCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	return ctx
}

func (e *errorCounter) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	if d.Err != nil {
		e.n.Add(1)
	}
}

// TestTerminatedBackends cuts the store's connections with
// pg_terminate_backend, from a connection of its own, while clients keep
// sending requests through the middleware, each retrying its key until it
// gets an answer. Every answer must be the handler's 201 (first or
// replayed) or a 503; no handler may run twice for a key; and once the
// cuts stop, requests succeed at the first attempt, with no restart.
func TestTerminatedBackends(t *testing.T) {
	cfg := poolConfig(t)
	app := "pgstore-fault-" + strings.ToLower(randomName())
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	failed := &errorCounter{}
	cfg.ConnConfig.Tracer = failed
	pool := newPool(t, cfg)
	store := newStoreOn(t, pool)

	var mu sync.Mutex
	runs := map[string]int{}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(idempotency.HeaderIdempotencyKey)
		mu.Lock()
		runs[key]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // keep a claim open across a cut now and then
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "paid "+key)
	})
	// A short lease, so that a claim stranded by a failed Complete would be
	// taken over (and the handler run twice) within the test.
	mw := idempotency.NewMiddleware(store, idempotency.WithLease(time.Second))
	srv := httptest.NewServer(mw.Handler(handler))
	t.Cleanup(srv.Close)

	post := func(key string) (int, string, bool) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/pay", strings.NewReader(`{"amount":1}`))
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Errorf("POST %s: %v", key, err)
			return 0, "", false
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true"
	}

	// The killer: five rounds of cutting every backend of the store's pool.
	ctx := context.Background()
	killer := testsvc.PostgresConn(t)
	var killed atomic.Int64
	stop := make(chan struct{})
	killerDone := make(chan struct{})
	go func() {
		defer close(killerDone)
		defer close(stop)
		for range 5 {
			time.Sleep(150 * time.Millisecond)
			// Two statements: in one, the planner may well call
			// pg_terminate_backend before filtering by application name.
			var pids []int32
			err := killer.QueryRow(ctx, `SELECT coalesce(array_agg(pid), '{}') FROM pg_stat_activity
				WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&pids)
			var n int64
			if err == nil {
				err = killer.QueryRow(ctx, `SELECT count(*) FROM unnest($1::int[]) AS p(pid)
					WHERE pg_terminate_backend(pid)`, pids).Scan(&n)
			}
			if err != nil {
				t.Errorf("pg_terminate_backend: %v", err)
				return
			}
			killed.Add(n)
		}
		time.Sleep(150 * time.Millisecond)
	}()

	// Clients: fresh keys back to back until the killer is done.
	var unavailable, keysDone atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("fault-%d-%d", w, i)
				for attempt := 0; ; attempt++ {
					status, body, _ := post(key)
					if status == http.StatusCreated && body == "paid "+key {
						break
					}
					if status != http.StatusServiceUnavailable || attempt == 50 {
						t.Errorf("POST %s: %d %q, want 201 or 503 (attempt %d)", key, status, body, attempt)
						return
					}
					unavailable.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				keysDone.Add(1)
			}
		})
	}
	wg.Wait()
	<-killerDone
	if t.Failed() {
		return
	}
	if killed.Load() == 0 || failed.n.Load() == 0 {
		t.Fatalf("the fault never hit: %d backends terminated, %d statements failed", killed.Load(), failed.n.Load())
	}

	// Service resumed: a retry of every key replays, and fresh keys run at
	// the first attempt.
	mu.Lock()
	keys := make([]string, 0, len(runs))
	for k := range runs {
		keys = append(keys, k)
	}
	mu.Unlock()
	for _, key := range keys {
		if status, body, replayed := post(key); status != http.StatusCreated || !replayed || body != "paid "+key {
			t.Errorf("retry of %s after the cuts: %d %q replayed=%v, want the stored 201", key, status, body, replayed)
		}
	}
	for i := range 20 {
		key := fmt.Sprint("after-", i)
		if status, _, replayed := post(key); status != http.StatusCreated || replayed {
			t.Errorf("fresh key %s after the cuts: %d replayed=%v, want a first 201", key, status, replayed)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for key, n := range runs {
		if n != 1 {
			t.Errorf("handler ran %d times for %s", n, key)
		}
	}
	t.Logf("%d keys, %d backends terminated, %d statements failed and were retried or surfaced, %d answers were 503",
		keysDone.Load(), killed.Load(), failed.n.Load(), unavailable.Load())
}

func randomName() string {
	return strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
}
