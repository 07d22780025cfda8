package idemecho5_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idemecho5"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// mount registers h for POST path behind m, one way or the other.
type mount struct {
	name string
	add  func(e *echo.Echo, m *idempotency.Middleware, path string, h echo.HandlerFunc)
}

var mounts = []mount{
	{"Serve", func(e *echo.Echo, m *idempotency.Middleware, path string, h echo.HandlerFunc) {
		// As the generated wrappers call it.
		e.POST(path, func(c *echo.Context) error {
			return idemecho5.Serve(m, c, func(c *echo.Context) error { return h(c) })
		})
	}},
	{"Middleware", func(e *echo.Echo, m *idempotency.Middleware, path string, h echo.HandlerFunc) {
		e.POST(path, h, idemecho5.Middleware(m))
	}},
}

// eachMount runs f once per way of mounting.
func eachMount(t *testing.T, f func(t *testing.T, mt mount)) {
	for _, mt := range mounts {
		t.Run(mt.name, func(t *testing.T) { f(t, mt) })
	}
}

func newMiddleware(opts ...idempotency.Option) *idempotency.Middleware {
	return idempotency.New(idempotency.NewMemoryStore(time.Hour), opts...)
}

// start serves e on a real listener on 127.0.0.1.
func start(t *testing.T, e *echo.Echo) string {
	t.Helper()
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv.URL
}

// created answers 201 with a JSON body and a header of its own.
func created(n *atomic.Int32) echo.HandlerFunc {
	return func(c *echo.Context) error {
		i := n.Add(1)
		c.Response().Header().Set("X-Order", "A-1")
		return c.JSON(http.StatusCreated, map[string]any{"order": "A-1", "run": i})
	}
}

func TestReplay(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		e := echo.New()
		mt.add(e, newMiddleware(), "/orders", created(&n))
		url := start(t, e) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{"amount":5}`)
		if first.Status != http.StatusCreated || first.Header.Get("X-Order") != "A-1" ||
			first.Header.Get("Content-Type") != echo.MIMEApplicationJSON ||
			strings.TrimSpace(first.Body) != `{"order":"A-1","run":1}` {
			t.Fatalf("first = %d %v %q", first.Status, first.Header, first.Body)
		}
		again := adaptertest.Post(t, url, "k1", `{"amount":5}`)
		adaptertest.CheckReplay(t, first, again)
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}

func TestInFlightConflict(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		started, release := make(chan struct{}), make(chan struct{})
		e := echo.New()
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			if n.Add(1) == 1 {
				close(started)
				<-release
			}
			return c.JSON(http.StatusCreated, map[string]string{"order": "A-1"})
		})
		url := start(t, e) + "/orders"

		done := make(chan adaptertest.Reply, 1)
		go func() {
			r, err := adaptertest.SendJSON(http.MethodPost, url, "k1", `{}`)
			if err != nil {
				r.Body = err.Error()
			}
			done <- r
		}()
		<-started
		second := adaptertest.Post(t, url, "k1", `{}`)
		close(release)
		adaptertest.CheckProblem(t, second, http.StatusConflict, idempotency.CodeKeyInUse)
		if first := <-done; first.Status != http.StatusCreated {
			t.Errorf("first = %d %q, want 201", first.Status, first.Body)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}

func TestChangedBody(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		e := echo.New()
		mt.add(e, newMiddleware(), "/orders", created(&n))
		url := start(t, e) + "/orders"

		adaptertest.Post(t, url, "k1", `{"amount":5}`)
		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "k1", `{"amount":6}`), http.StatusUnprocessableEntity, idempotency.CodeKeyReused)
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}

func TestKeyRequired(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		e := echo.New()
		mt.add(e, newMiddleware(idempotency.WithKeyRequired(true)), "/orders", created(&n))
		url := start(t, e) + "/orders"

		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "", `{}`), http.StatusBadRequest, idempotency.CodeKeyMissing)
		if got := n.Load(); got != 0 {
			t.Errorf("handler ran %d times, want 0", got)
		}
	})
}

func TestUnguardedRuns(t *testing.T) {
	var n atomic.Int32
	m := newMiddleware()
	e := echo.New()
	e.POST("/plain", created(&n)) // not behind the adapter
	g := e.Group("/v1", idemecho5.Middleware(m))
	g.GET("/orders", created(&n)) // behind it, but m does not guard GET
	base := start(t, e)

	for i := range 2 {
		if r := adaptertest.Post(t, base+"/plain", "k1", `{}`); r.Status != http.StatusCreated || r.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("POST /plain #%d = %d %v", i, r.Status, r.Header)
		}
		r, err := adaptertest.SendJSON(http.MethodGet, base+"/v1/orders", "k1", "")
		if err != nil || r.Status != http.StatusCreated || r.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("GET /v1/orders #%d = %d %v %v", i, r.Status, r.Header, err)
		}
	}
	if got := n.Load(); got != 4 {
		t.Errorf("handlers ran %d times, want 4", got)
	}
}

// TestHTTPError: echo's default HTTPErrorHandler answers a returned
// *echo.HTTPError; that answer is stored and replayed.
func TestHTTPError(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		logged := make(chan middleware.RequestLoggerValues, 8) // room for every request
		e := echo.New()
		e.Use(requestLog(logged))
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			n.Add(1)
			return echo.NewHTTPError(http.StatusConflict, "taken")
		})
		url := start(t, e) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusConflict || strings.TrimSpace(first.Body) != `{"message":"taken"}` ||
			first.Header.Get("Content-Type") != echo.MIMEApplicationJSON {
			t.Fatalf("first = %d %v %q", first.Status, first.Header, first.Body)
		}
		again := adaptertest.Post(t, url, "k1", `{}`)
		adaptertest.CheckReplay(t, first, again)
		// echo's own logger sees the error's status and size, for the
		// answer and its replay, and no error: it was answered in Serve.
		for i, r := range []adaptertest.Reply{first, again} {
			if v := <-logged; v.Status != http.StatusConflict || v.ResponseSize != int64(len(r.Body)) || v.Error != nil {
				t.Errorf("#%d RequestLogger saw status %d size %d error %v, want 409 %d nil",
					i, v.Status, v.ResponseSize, v.Error, len(r.Body))
			}
		}
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}

// requestLog is echo's RequestLogger, sending what it would log to ch.
func requestLog(ch chan<- middleware.RequestLoggerValues) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogResponseSize: true,
		LogValuesFunc: func(_ *echo.Context, v middleware.RequestLoggerValues) error {
			ch <- v
			return nil
		},
	})
}

// customErrors is an HTTPErrorHandler that, like many hand-written ones,
// writes without checking Committed: answering an error twice would show
// as a doubled body.
func customErrors(calls *atomic.Int32) echo.HTTPErrorHandler {
	return func(c *echo.Context, err error) {
		calls.Add(1)
		c.Response().Header().Set("X-Error", "custom")
		_ = c.JSON(http.StatusPaymentRequired, map[string]string{"error": err.Error()})
	}
}

func TestCustomErrorHandler(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n, calls atomic.Int32
		ch := make(chan seen, 8) // room for every request: a send never blocks a response
		e := echo.New()
		e.HTTPErrorHandler = customErrors(&calls)
		e.Use(observe(ch))
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			n.Add(1)
			return errors.New("card declined")
		})
		url := start(t, e) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		// Answered inside Serve: outer middlewares see the status sent, not
		// the error.
		if s := <-ch; s.status != http.StatusPaymentRequired || s.failed {
			t.Errorf("logger saw %+v, want status 402 and no error", s)
		}
		if first.Status != http.StatusPaymentRequired || first.Body != `{"error":"card declined"}`+"\n" ||
			first.Header.Get("X-Error") != "custom" || first.Header.Get("Content-Type") != echo.MIMEApplicationJSON {
			t.Fatalf("first = %d %v %q", first.Status, first.Header, first.Body)
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
		if got := calls.Load(); got != 1 {
			t.Errorf("error handler called %d times, want 1", got)
		}
	})
}

// TestUnkeyedError: a request the middleware does not record gets echo's
// own error path, answered once, after the chain.
func TestUnkeyedError(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n, calls atomic.Int32
		ch := make(chan seen, 8) // room for every request: a send never blocks a response
		e := echo.New()
		e.HTTPErrorHandler = customErrors(&calls)
		e.Use(observe(ch))
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			n.Add(1)
			return errors.New("card declined")
		})
		url := start(t, e) + "/orders"

		for i := range 2 {
			if r := adaptertest.Post(t, url, "", `{}`); r.Status != http.StatusPaymentRequired || r.Body != `{"error":"card declined"}`+"\n" {
				t.Fatalf("#%d = %d %q", i, r.Status, r.Body)
			}
			// Not recorded, so the error goes back up the chain as usual.
			if s := <-ch; !s.failed || !s.same {
				t.Errorf("#%d logger saw %+v, want the error on the restored context", i, s)
			}
		}
		if got, gotCalls := n.Load(), calls.Load(); got != 2 || gotCalls != 2 {
			t.Errorf("handler ran %d times, error handler %d; want 2 and 2", got, gotCalls)
		}
	})
}

// TestServerErrorNotStored: a plain error is a 500 from echo's default
// handler; a 5xx is not stored, so the retry runs the handler again.
func TestServerErrorNotStored(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		e := echo.New()
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			n.Add(1)
			return errors.New("database down")
		})
		url := start(t, e) + "/orders"

		for i := range 2 {
			r := adaptertest.Post(t, url, "k1", `{}`)
			if r.Status != http.StatusInternalServerError || strings.TrimSpace(r.Body) != `{"message":"Internal Server Error"}` ||
				r.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
				t.Fatalf("#%d = %d %v %q", i, r.Status, r.Header, r.Body)
			}
		}
		if got := n.Load(); got != 2 {
			t.Errorf("handler ran %d times, want 2", got)
		}
	})
}

// seen is what a logger-like middleware found after the handler.
type seen struct {
	status    int
	size      int64
	committed bool
	same      bool // c.Response() and c.Request() are those it passed on
	guarded   bool // c.Request() still carries idempotency.Info
	failed    bool // next returned an error
}

// observe runs before everything else and inspects the response after.
func observe(ch chan<- seen) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c *echo.Context) error {
			w, req := c.Response(), c.Request()
			err := next(c)
			_, guarded := idempotency.FromContext(c.Request().Context())
			s := seen{same: c.Response() == w && c.Request() == req, guarded: guarded, failed: err != nil}
			if res, uerr := echo.UnwrapResponse(c.Response()); uerr == nil {
				s.status, s.size, s.committed = res.Status, res.Size, res.Committed
			}
			ch <- s
			return err
		}
	}
}

// withUser sets a context value and adds a header from a Before hook, as
// middlewares that run before the handler do.
func withUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		c.Set("user", "alice")
		res, err := echo.UnwrapResponse(c.Response())
		if err != nil {
			return err
		}
		res.Before(func() { res.Header().Add("X-Before", "hook") })
		return next(c)
	}
}

func TestHandlerContext(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		ch := make(chan seen, 8) // room for every request: a send never blocks a response
		logged := make(chan middleware.RequestLoggerValues, 8)
		e := echo.New()
		e.Use(requestLog(logged), observe(ch), withUser)
		// Built as the generated code builds it.
		m := idempotency.NewRouteMiddleware(idempotency.NewMemoryStore(time.Hour),
			idempotency.Route{Method: http.MethodPost, Pattern: "/items/{id}"})
		mt.add(e, m, "/items/:id", func(c *echo.Context) error {
			n.Add(1)
			b, err := io.ReadAll(c.Request().Body)
			if err != nil {
				return err
			}
			info, _ := idempotency.FromContext(c.Request().Context())
			return c.JSON(http.StatusCreated, map[string]any{
				"id": c.Param("id"), "user": c.Get("user"), "key": info.Key, "body": string(b),
			})
		})
		url := start(t, e) + "/items/42"

		first := adaptertest.Post(t, url, "k7", `{"amount":5}`)
		want := `{"body":"{\"amount\":5}","id":"42","key":"k7","user":"alice"}`
		if first.Status != http.StatusCreated || strings.TrimSpace(first.Body) != want {
			t.Fatalf("first = %d %q, want 201 %s", first.Status, first.Body, want)
		}
		again := adaptertest.Post(t, url, "k7", `{"amount":5}`)
		adaptertest.CheckReplay(t, first, again)
		for i, r := range []adaptertest.Reply{first, again} {
			// Exactly once: the hook's header is not recorded, and the hook
			// runs again for the replay.
			if got := r.Header.Values("X-Before"); len(got) != 1 {
				t.Errorf("#%d X-Before = %q, want one value", i, got)
			}
			s := <-ch
			if s != (seen{http.StatusCreated, int64(len(r.Body)), true, true, false, false}) {
				t.Errorf("#%d logger saw %+v, want status 201, size %d, committed, restored", i, s, len(r.Body))
			}
			if v := <-logged; v.Status != http.StatusCreated || v.ResponseSize != int64(len(r.Body)) || v.Error != nil {
				t.Errorf("#%d RequestLogger saw status %d size %d error %v, want 201 %d nil",
					i, v.Status, v.ResponseSize, v.Error, len(r.Body))
			}
		}
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}

func TestPanicReleasesKey(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		ch := make(chan seen, 8) // room for every request: a send never blocks a response
		e := echo.New()
		e.Use(observe(ch), middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			if n.Add(1) == 1 {
				panic("boom")
			}
			return c.JSON(http.StatusCreated, map[string]string{"order": "A-1"})
		})
		url := start(t, e) + "/orders"

		if r := adaptertest.Post(t, url, "k1", `{}`); r.Status != http.StatusInternalServerError {
			t.Fatalf("panic = %d %q, want 500", r.Status, r.Body)
		}
		// v5's Recover returns the panic as an error instead of answering
		// it (echo answers it after the chain): the logger gets the error,
		// on the restored context, with nothing sent yet.
		if s := <-ch; !s.failed || s.committed || !s.same || s.guarded {
			t.Errorf("after the panic the logger saw %+v, want the error, uncommitted, on the restored context", s)
		}
		if r := adaptertest.Post(t, url, "k1", `{}`); r.Status != http.StatusCreated || r.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("retry = %d %v, want a fresh 201", r.Status, r.Header)
		}
		<-ch
		if got := n.Load(); got != 2 {
			t.Errorf("handler ran %d times, want 2", got)
		}
	})
}

// TestTwoLayers: a route table in front of echo and Serve on the route. The
// table records; Serve passes the request through (its key is held), and
// echo's own error path answers into the table's recorder.
func TestTwoLayers(t *testing.T) {
	var n atomic.Int32
	store := idempotency.NewMemoryStore(time.Hour)
	route := idempotency.Route{Method: http.MethodPost, Pattern: "/orders"}
	m := idempotency.NewRouteMiddleware(store, route)
	e := echo.New()
	e.POST("/orders", func(c *echo.Context) error {
		return idemecho5.Serve(m, c, func(c *echo.Context) error {
			n.Add(1)
			return echo.NewHTTPError(http.StatusConflict, "taken")
		})
	})
	srv := httptest.NewServer(idempotency.NewRouter(store, []idempotency.Route{route})(e))
	t.Cleanup(srv.Close)

	first := adaptertest.Post(t, srv.URL+"/orders", "k1", `{}`)
	if first.Status != http.StatusConflict || strings.TrimSpace(first.Body) != `{"message":"taken"}` {
		t.Fatalf("first = %d %q", first.Status, first.Body)
	}
	adaptertest.CheckReplay(t, first, adaptertest.Post(t, srv.URL+"/orders", "k1", `{}`))
	if got := n.Load(); got != 1 {
		t.Errorf("handler ran %d times, want 1", got)
	}
}

// TestHandlerBeforeHook: a Before hook the handler registers on the
// Response it sees sets its header in time to be recorded, so the replay,
// for which the handler does not run, still carries it.
func TestHandlerBeforeHook(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		e := echo.New()
		mt.add(e, newMiddleware(), "/orders", func(c *echo.Context) error {
			n.Add(1)
			res, err := echo.UnwrapResponse(c.Response())
			if err != nil {
				return err
			}
			res.Before(func() { res.Header().Set("X-Hook", "handler") })
			return c.JSON(http.StatusCreated, map[string]string{"order": "A-1"})
		})
		url := start(t, e) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusCreated || first.Header.Get("X-Hook") != "handler" {
			t.Fatalf("first = %d %v", first.Status, first.Header)
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}
