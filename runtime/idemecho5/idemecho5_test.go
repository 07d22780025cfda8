package idemecho5_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idemecho5"
	"github.com/idemgen/idemgen/runtime/idempotency"
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

type reply struct {
	status int
	header http.Header
	body   string
}

func send(method, url, key, body string) (reply, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}, err
}

func post(t *testing.T, url, key, body string) reply {
	t.Helper()
	r, err := send(http.MethodPost, url, key, body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sent is a response's headers as a replay must repeat them: all but Date
// and the replay marker.
func sent(h http.Header) http.Header {
	h = h.Clone()
	h.Del("Date")
	h.Del(idempotency.HeaderIdempotencyReplayed)
	return h
}

// checkReplay asserts that again repeats first, marked as a replay.
func checkReplay(t *testing.T, first, again reply) {
	t.Helper()
	if again.status != first.status || again.body != first.body {
		t.Errorf("replay = %d %q, want %d %q", again.status, again.body, first.status, first.body)
	}
	if got, want := sent(again.header), sent(first.header); !reflect.DeepEqual(got, want) {
		t.Errorf("replay headers = %v, want %v", got, want)
	}
	if got := again.header.Get(idempotency.HeaderIdempotencyReplayed); got != "true" {
		t.Errorf("replay %s = %q, want true", idempotency.HeaderIdempotencyReplayed, got)
	}
	if first.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
		t.Errorf("first response is marked as a replay")
	}
}

// checkProblem asserts a problem+json answer with this status and code.
func checkProblem(t *testing.T, r reply, status int, code string) {
	t.Helper()
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || r.status != status || p.Code != code {
		t.Fatalf("got %d %q (%v), want %d with code %s", r.status, r.body, err, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
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

		first := post(t, url, "k1", `{"amount":5}`)
		if first.status != http.StatusCreated || first.header.Get("X-Order") != "A-1" ||
			first.header.Get("Content-Type") != echo.MIMEApplicationJSON ||
			strings.TrimSpace(first.body) != `{"order":"A-1","run":1}` {
			t.Fatalf("first = %d %v %q", first.status, first.header, first.body)
		}
		again := post(t, url, "k1", `{"amount":5}`)
		checkReplay(t, first, again)
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

		done := make(chan reply, 1)
		go func() {
			r, err := send(http.MethodPost, url, "k1", `{}`)
			if err != nil {
				r.body = err.Error()
			}
			done <- r
		}()
		<-started
		second := post(t, url, "k1", `{}`)
		close(release)
		checkProblem(t, second, http.StatusConflict, idempotency.CodeKeyInUse)
		if first := <-done; first.status != http.StatusCreated {
			t.Errorf("first = %d %q, want 201", first.status, first.body)
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

		post(t, url, "k1", `{"amount":5}`)
		checkProblem(t, post(t, url, "k1", `{"amount":6}`), http.StatusUnprocessableEntity, idempotency.CodeKeyReused)
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

		checkProblem(t, post(t, url, "", `{}`), http.StatusBadRequest, idempotency.CodeKeyMissing)
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
		if r := post(t, base+"/plain", "k1", `{}`); r.status != http.StatusCreated || r.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("POST /plain #%d = %d %v", i, r.status, r.header)
		}
		r, err := send(http.MethodGet, base+"/v1/orders", "k1", "")
		if err != nil || r.status != http.StatusCreated || r.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("GET /v1/orders #%d = %d %v %v", i, r.status, r.header, err)
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

		first := post(t, url, "k1", `{}`)
		if first.status != http.StatusConflict || strings.TrimSpace(first.body) != `{"message":"taken"}` ||
			first.header.Get("Content-Type") != echo.MIMEApplicationJSON {
			t.Fatalf("first = %d %v %q", first.status, first.header, first.body)
		}
		again := post(t, url, "k1", `{}`)
		checkReplay(t, first, again)
		// echo's own logger sees the error's status and size, for the
		// answer and its replay, and no error: it was answered in Serve.
		for i, r := range []reply{first, again} {
			if v := <-logged; v.Status != http.StatusConflict || v.ResponseSize != int64(len(r.body)) || v.Error != nil {
				t.Errorf("#%d RequestLogger saw status %d size %d error %v, want 409 %d nil",
					i, v.Status, v.ResponseSize, v.Error, len(r.body))
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

		first := post(t, url, "k1", `{}`)
		// Answered inside Serve: outer middlewares see the status sent, not
		// the error.
		if s := <-ch; s.status != http.StatusPaymentRequired || s.failed {
			t.Errorf("logger saw %+v, want status 402 and no error", s)
		}
		if first.status != http.StatusPaymentRequired || first.body != `{"error":"card declined"}`+"\n" ||
			first.header.Get("X-Error") != "custom" || first.header.Get("Content-Type") != echo.MIMEApplicationJSON {
			t.Fatalf("first = %d %v %q", first.status, first.header, first.body)
		}
		checkReplay(t, first, post(t, url, "k1", `{}`))
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
			if r := post(t, url, "", `{}`); r.status != http.StatusPaymentRequired || r.body != `{"error":"card declined"}`+"\n" {
				t.Fatalf("#%d = %d %q", i, r.status, r.body)
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
			r := post(t, url, "k1", `{}`)
			if r.status != http.StatusInternalServerError || strings.TrimSpace(r.body) != `{"message":"Internal Server Error"}` ||
				r.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
				t.Fatalf("#%d = %d %v %q", i, r.status, r.header, r.body)
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

		first := post(t, url, "k7", `{"amount":5}`)
		want := `{"body":"{\"amount\":5}","id":"42","key":"k7","user":"alice"}`
		if first.status != http.StatusCreated || strings.TrimSpace(first.body) != want {
			t.Fatalf("first = %d %q, want 201 %s", first.status, first.body, want)
		}
		again := post(t, url, "k7", `{"amount":5}`)
		checkReplay(t, first, again)
		for i, r := range []reply{first, again} {
			// Exactly once: the hook's header is not recorded, and the hook
			// runs again for the replay.
			if got := r.header.Values("X-Before"); len(got) != 1 {
				t.Errorf("#%d X-Before = %q, want one value", i, got)
			}
			s := <-ch
			if s != (seen{http.StatusCreated, int64(len(r.body)), true, true, false, false}) {
				t.Errorf("#%d logger saw %+v, want status 201, size %d, committed, restored", i, s, len(r.body))
			}
			if v := <-logged; v.Status != http.StatusCreated || v.ResponseSize != int64(len(r.body)) || v.Error != nil {
				t.Errorf("#%d RequestLogger saw status %d size %d error %v, want 201 %d nil",
					i, v.Status, v.ResponseSize, v.Error, len(r.body))
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

		if r := post(t, url, "k1", `{}`); r.status != http.StatusInternalServerError {
			t.Fatalf("panic = %d %q, want 500", r.status, r.body)
		}
		// v5's Recover returns the panic as an error instead of answering
		// it (echo answers it after the chain): the logger gets the error,
		// on the restored context, with nothing sent yet.
		if s := <-ch; !s.failed || s.committed || !s.same || s.guarded {
			t.Errorf("after the panic the logger saw %+v, want the error, uncommitted, on the restored context", s)
		}
		if r := post(t, url, "k1", `{}`); r.status != http.StatusCreated || r.header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("retry = %d %v, want a fresh 201", r.status, r.header)
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

	first := post(t, srv.URL+"/orders", "k1", `{}`)
	if first.status != http.StatusConflict || strings.TrimSpace(first.body) != `{"message":"taken"}` {
		t.Fatalf("first = %d %q", first.status, first.body)
	}
	checkReplay(t, first, post(t, srv.URL+"/orders", "k1", `{}`))
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

		first := post(t, url, "k1", `{}`)
		if first.status != http.StatusCreated || first.header.Get("X-Hook") != "handler" {
			t.Fatalf("first = %d %v", first.status, first.header)
		}
		checkReplay(t, first, post(t, url, "k1", `{}`))
		if got := n.Load(); got != 1 {
			t.Errorf("handler ran %d times, want 1", got)
		}
	})
}
