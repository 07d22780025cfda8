package idemfiber3_test

import (
	"context"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/idemgen/idemgen/runtime/idemfiber3"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
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

// post sends a POST with key (none if empty) and body; extra are more
// header lines, name then value.
func (s *server) post(path, key, body string, extra ...string) adaptertest.Reply {
	return s.do(http.MethodPost, path, key, body, extra...)
}

func (s *server) do(method, path, key, body string, extra ...string) adaptertest.Reply {
	s.t.Helper()
	a, err := adaptertest.Send(s.c, method, s.base+path, key, body, extra...)
	if err != nil {
		s.t.Fatal(err)
	}
	return a
}

// wantStatus checks a's status and, when body is not "", its body.
func wantStatus(t *testing.T, a adaptertest.Reply, status int, body string) {
	t.Helper()
	if a.Status != status || (body != "" && a.Body != body) {
		t.Fatalf("got %d %q, want %d %q", a.Status, a.Body, status, body)
	}
}
