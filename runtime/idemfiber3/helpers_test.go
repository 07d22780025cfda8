package idemfiber3_test

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/idemgen/idemgen/runtime/idemfiber3"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// mount puts handler h on POST path behind m, one way or the other.
type mount struct {
	name string
	add  func(app *fiber.App, path string, m *idempotency.Middleware, h fiber.Handler)
}

var mounts = []mount{
	{"Serve", func(app *fiber.App, path string, m *idempotency.Middleware, h fiber.Handler) {
		app.Post(path, func(c fiber.Ctx) error { return idemfiber3.Serve(m, c, h) })
	}},
	{"Middleware", func(app *fiber.App, path string, m *idempotency.Middleware, h fiber.Handler) {
		app.Post(path, idemfiber3.Middleware(m), h)
	}},
}

// eachMount runs f once per mount.
func eachMount(t *testing.T, f func(t *testing.T, mt mount)) {
	for _, mt := range mounts {
		t.Run(mt.name, func(t *testing.T) { f(t, mt) })
	}
}

func newApp(cfg ...fiber.Config) *fiber.App {
	return fiber.New(cfg...)
}

// routeMW is the middleware of one operation, as the generated code builds
// it.
func routeMW(pattern string, opts ...idempotency.Option) *idempotency.Middleware {
	return idempotency.NewRouteMiddleware(idempotency.NewMemoryStore(0),
		idempotency.Route{Method: http.MethodPost, Pattern: pattern}, opts...)
}

// spyStore is a MemoryStore that keeps what the middleware stores.
type spyStore struct {
	*idempotency.MemoryStore
	mu   sync.Mutex
	recs []idempotency.Record
}

func (s *spyStore) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	s.mu.Lock()
	s.recs = append(s.recs, *rec)
	s.mu.Unlock()
	return s.MemoryStore.Complete(ctx, key, token, rec)
}

// stored returns the records completed so far.
func (s *spyStore) stored() []idempotency.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.recs)
}

// server is app listening on 127.0.0.1 and a client of its own.
type server struct {
	t    *testing.T
	base string
	c    *http.Client
}

func start(t *testing.T, app *fiber.App) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true}) }()
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		if err := app.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("listener: %v", err)
		}
	})
	return &server{t: t, base: "http://" + ln.Addr().String(), c: &http.Client{Transport: tr}}
}

// answer is a response as the client got it.
type answer struct {
	status int
	header http.Header
	body   string
}

// post sends a POST with key (none if empty) and body; extra are more
// header lines, name then value.
func (s *server) post(path, key, body string, extra ...string) answer {
	return s.do(http.MethodPost, path, key, body, extra...)
}

func (s *server) do(method, path, key, body string, extra ...string) answer {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header[extra[i]] = append(req.Header[extra[i]], extra[i+1]) // as given: no canonical form
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

// wantStatus checks a's status and, when body is not "", its body.
func wantStatus(t *testing.T, a answer, status int, body string) {
	t.Helper()
	if a.status != status || (body != "" && a.body != body) {
		t.Fatalf("got %d %q, want %d %q", a.status, a.body, status, body)
	}
}

// wantReplay checks that replay is first as sent again: the same status,
// body and headers (but Date), plus Idempotency-Replayed: true.
func wantReplay(t *testing.T, first, replay answer) {
	t.Helper()
	if got := replay.header.Get(idempotency.HeaderIdempotencyReplayed); got != "true" {
		t.Errorf("replay: Idempotency-Replayed %q, want true", got)
	}
	if first.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
		t.Errorf("first response marked as a replay")
	}
	if replay.status != first.status || replay.body != first.body {
		t.Errorf("replay %d %q, first %d %q", replay.status, replay.body, first.status, first.body)
	}
	a, b := maps.Clone(first.header), maps.Clone(replay.header)
	for _, h := range []http.Header{a, b} {
		delete(h, "Date")
		delete(h, idempotency.HeaderIdempotencyReplayed)
	}
	if !maps.EqualFunc(a, b, slices.Equal) {
		t.Errorf("replay headers\n%v\nfirst\n%v", b, a)
	}
}

// wantProblem checks a problem+json answer with code.
func wantProblem(t *testing.T, a answer, status int, code string) {
	t.Helper()
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(a.body), &p); err != nil {
		t.Fatalf("%d %q: %v", a.status, a.body, err)
	}
	if a.status != status || p.Code != code || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %d %s %q, want %d %s problem+json", a.status, a.header.Get("Content-Type"), a.body, status, code)
	}
}
