package idemclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// sleeps records the waits a Transport asks for and then waits for real,
// divided by scale, so that tests see exact delays and still let a server
// make progress in between.
type sleeps struct {
	mu    sync.Mutex
	got   []time.Duration
	scale time.Duration // 0: do not wait at all
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.got = append(s.got, d)
	s.mu.Unlock()
	if s.scale == 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d / s.scale)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.got...)
}

// fakeClock is a clock that only moves when the transport sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
	sleeps
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return c.sleeps.sleep(ctx, d)
}

// install puts the clock into t.
func (c *fakeClock) install(t *Transport) {
	t.now, t.sleep = c.Now, c.sleep
}

// objects is a server that creates one object per handler run, behind the
// idempotency middleware: the thing that must happen exactly once per
// logical call.
type objects struct {
	delay time.Duration

	mu      sync.Mutex
	runs    map[string]int    // handler runs per key
	ids     map[string]string // the object each key created
	started map[string]chan struct{}
	next    int
}

const objectsPath = "/v1/objects"

var objectRoutes = []Route{{Method: "post", Pattern: "/objects", Policy: Policy{Required: true}}}

// newObjects starts the server; store may be nil (a MemoryStore).
func newObjects(t *testing.T, delay time.Duration, store idempotency.ClaimStore, opts ...idempotency.Option) (*objects, *httptest.Server) {
	t.Helper()
	o := &objects{delay: delay, runs: map[string]int{}, ids: map[string]string{}, started: map[string]chan struct{}{}}
	if store == nil {
		mem := idempotency.NewMemoryStore(time.Hour)
		t.Cleanup(func() { mem.Close() })
		store = mem
	}
	opts = append([]idempotency.Option{idempotency.WithKeyRequired(true)}, opts...)
	m := idempotency.New(store, opts...)
	mux := http.NewServeMux()
	mux.Handle("POST "+objectsPath, m.Handler(http.HandlerFunc(o.create)))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return o, srv
}

func (o *objects) create(w http.ResponseWriter, r *http.Request) {
	info, _ := idempotency.FromContext(r.Context())
	body, _ := io.ReadAll(r.Body)
	o.mu.Lock()
	o.runs[info.Key]++
	o.next++
	id := fmt.Sprintf("obj-%d", o.next)
	o.ids[info.Key] = id
	if ch := o.startedLocked(info.Key); !closed(ch) {
		close(ch)
	}
	o.mu.Unlock()
	time.Sleep(o.delay) // the work; it ignores the client going away, as real work does
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"id": id, "key": info.Key, "body": string(body)})
}

func (o *objects) startedLocked(key string) chan struct{} {
	ch, ok := o.started[key]
	if !ok {
		ch = make(chan struct{})
		o.started[key] = ch
	}
	return ch
}

// waitStarted returns once the handler runs for key.
func (o *objects) waitStarted(key string) bool {
	o.mu.Lock()
	ch := o.startedLocked(key)
	o.mu.Unlock()
	select {
	case <-ch:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

func (o *objects) runsOf(key string) (int, string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runs[key], o.ids[key]
}

func (o *objects) total() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.next
}

// created is what the objects server answers.
type created struct{ ID, Key, Body string }

// post sends one logical call through c and decodes the object.
func post(ctx context.Context, c *http.Client, url, body string) (created, *Call, *http.Response, error) {
	ctx, call := WithCall(ctx)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return created{}, call, nil, err
	}
	defer resp.Body.Close()
	var got created
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &got); err != nil {
			return got, call, resp, fmt.Errorf("decode %q: %v", b, err)
		}
	}
	return got, call, resp, nil
}

// scripted answers each attempt with the next of its responses and
// records what each attempt carried.
type scripted struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter)
	keys    [][]string
	bodies  []string
}

func newScripted(t *testing.T, answers ...func(w http.ResponseWriter)) (*scripted, *httptest.Server) {
	s := &scripted{answers: answers}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.keys)
	s.keys = append(s.keys, r.Header.Values("Idempotency-Key"))
	s.bodies = append(s.bodies, string(b))
	s.mu.Unlock()
	if n >= len(s.answers) {
		n = len(s.answers) - 1
	}
	s.answers[n](w)
}

func (s *scripted) attempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// status answers code with the given headers (name, value pairs).
func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "answer %d\n", code)
	}
}

// problemAnswer answers a problem+json body as given.
func problemAnswer(code int, body string, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/problem+json")
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
