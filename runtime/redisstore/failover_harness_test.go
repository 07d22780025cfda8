package redisstore

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// failoverLease is the middleware's lease in the failover tests. It must
// outlast a failover (measured at about 2-3s with a node timeout of 1s)
// plus a renewal interval (a third of the lease), or the new master lets
// the lease lapse under a handler that is still running.
const failoverLease = 6 * time.Second

// run is one execution of the handler, as the handler saw it.
type run struct {
	instance string
	seq      int
	start    time.Time
	end      time.Time // zero while it runs
}

// runBook is the handler runs of every instance, by key.
type runBook struct {
	mu   sync.Mutex
	runs map[string][]*run
	seq  int
	hold map[string]chan struct{} // a held key's handler waits for close
}

func newRunBook() *runBook {
	return &runBook{runs: map[string][]*run{}, hold: map[string]chan struct{}{}}
}

// holdKey makes the next run of key wait until the returned func is called.
func (b *runBook) holdKey(key string) (release func()) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.hold[key] = ch
	b.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(ch) }) }
}

func (b *runBook) of(key string) []run {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]run, len(b.runs[key]))
	for i, r := range b.runs[key] {
		out[i] = *r
	}
	return out
}

// overlapping reports whether two runs of key were ever running at once.
func (b *runBook) overlapping(key string) bool {
	runs := b.of(key)
	for i := range runs {
		for j := range runs {
			if i != j && !runs[j].start.Before(runs[i].start) &&
				(runs[i].end.IsZero() || runs[j].start.Before(runs[i].end)) {
				return true
			}
		}
	}
	return false
}

// handler is the operation: it books its run, waits while its key is
// held, and answers 201 with a body that names the run, so a replay of
// one run can never pass for another.
func (b *runBook) handler(instance string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		key := r.Header.Get(idempotency.HeaderIdempotencyKey)
		b.mu.Lock()
		b.seq++
		rn := &run{instance: instance, seq: b.seq, start: time.Now()}
		b.runs[key] = append(b.runs[key], rn)
		gate := b.hold[key]
		delete(b.hold, key)
		b.mu.Unlock()
		if gate != nil {
			<-gate
		}
		b.mu.Lock()
		rn.end = time.Now()
		b.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"key":%q,"run":%d,"instance":%q}`, key, rn.seq, instance)
	})
}

// instance is one replica of the service: a middleware on a ClusterClient
// of its own, behind an HTTP server.
type instance struct {
	name  string
	srv   *httptest.Server
	store *Store
	spy   *spyStore

	mu     sync.Mutex
	events []idempotency.Event
}

// newInstance starts an instance named name, its store made with opts;
// tune adjusts its client's options.
func newInstance(t *testing.T, name string, c *replicatedCluster, prefix string, book *runBook,
	opts []Option, tune ...func(*redis.ClusterOptions)) *instance {
	in := &instance{name: name}
	in.store = New(c.client(tune...), append([]Option{WithPrefix(prefix)}, opts...)...)
	in.spy = &spyStore{Store: in.store}
	mw := idempotency.New(in.spy, idempotency.WithLease(failoverLease),
		idempotency.WithObserver(func(e idempotency.Event) {
			in.mu.Lock()
			in.events = append(in.events, e)
			in.mu.Unlock()
		}))
	in.srv = httptest.NewServer(mw.Handler(book.handler(name)))
	t.Cleanup(in.srv.Close)
	return in
}

// outcomes lists the outcomes reported for key, in order.
func (in *instance) outcomes(key string) []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []string
	for _, e := range in.events {
		if e.Key == key {
			out = append(out, e.Outcome.String())
		}
	}
	return out
}

// answer is what one request got.
type answer struct {
	at       time.Time
	status   int
	replayed bool
	body     string
	err      error
}

func (a answer) ok() bool { return a.err == nil && a.status == http.StatusCreated }

func (in *instance) post(key string) answer {
	req, _ := http.NewRequest(http.MethodPost, in.srv.URL+"/payments", strings.NewReader(`{"amount":42}`))
	req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	resp, err := in.srv.Client().Do(req)
	if err != nil {
		return answer{at: time.Now(), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return answer{at: time.Now(), status: resp.StatusCode, body: string(body), err: err,
		replayed: resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true"}
}

// spyStore is the instance's Store, remembering the store key of every
// claim: the middleware derives it from the client's key, and its slot
// decides which master a request depends on.
type spyStore struct {
	*Store
	mu      sync.Mutex
	claimed []string
}

func (s *spyStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	s.mu.Lock()
	s.claimed = append(s.claimed, key)
	s.mu.Unlock()
	return s.Store.Claim(ctx, key, fp, lease)
}

// lastRecordKey is the Redis key of the record of the latest claim made
// through in.
func (in *instance) lastRecordKey(t *testing.T) string {
	t.Helper()
	in.spy.mu.Lock()
	defer in.spy.mu.Unlock()
	if len(in.spy.claimed) == 0 {
		t.Fatal("no claim was made")
	}
	return in.store.keys(in.spy.claimed[len(in.spy.claimed)-1])[0]
}
