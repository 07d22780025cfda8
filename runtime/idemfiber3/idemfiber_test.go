package idemfiber3_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"

	"github.com/idemgen/idemgen/runtime/idemfiber3"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
)

const order = `{"amount":100}`

// created answers 201 JSON with a custom header and the run's number.
func created(n *atomic.Int32) fiber.Handler {
	return func(c fiber.Ctx) error {
		run := n.Add(1)
		c.Set("X-Order", "o-1")
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"run": run})
	}
}

func TestReplay(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp()
		mt.add(app, "/orders", routeMW("/orders"), created(&n))
		s := start(t, app)

		first := s.post("/orders", "k1", order)
		wantStatus(t, first, 201, `{"run":1}`)
		if ct, x := first.Header.Get("Content-Type"), first.Header.Get("X-Order"); ct != fiber.MIMEApplicationJSONCharsetUTF8 || x != "o-1" {
			t.Fatalf("first: Content-Type %q, X-Order %q", ct, x)
		}
		replay := s.post("/orders", "k1", order)
		adaptertest.CheckReplay(t, first, replay)
		if n.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", n.Load())
		}
	})
}

func TestInFlight(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		started, release := make(chan struct{}), make(chan struct{})
		var n atomic.Int32
		app := newApp()
		mt.add(app, "/orders", routeMW("/orders"), func(c fiber.Ctx) error {
			if n.Add(1) > 1 {
				return c.Status(200).SendString("ran again") // broken: fail, never block
			}
			close(started)
			<-release
			return c.Status(201).SendString("done")
		})
		s := start(t, app)
		var once sync.Once
		unblock := func() { once.Do(func() { close(release) }) }
		t.Cleanup(unblock) // before the shutdown, which waits for the first request

		firstc := make(chan adaptertest.Reply, 1)
		go func() { firstc <- s.post("/orders", "k1", order) }()
		<-started
		adaptertest.CheckProblem(t, s.post("/orders", "k1", order), 409, idempotency.CodeKeyInUse)
		unblock()
		wantStatus(t, <-firstc, 201, "done")
		wantStatus(t, s.post("/orders", "k1", order), 201, "done")
		if n.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", n.Load())
		}
	})
}

func TestChangedBody(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp()
		mt.add(app, "/orders", routeMW("/orders"), created(&n))
		s := start(t, app)

		wantStatus(t, s.post("/orders", "k1", order), 201, `{"run":1}`)
		adaptertest.CheckProblem(t, s.post("/orders", "k1", `{"amount":999}`), 422, idempotency.CodeKeyReused)
		if n.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", n.Load())
		}
	})
}

// The fingerprint sees the path as sent (an encoded slash stays encoded)
// and the query.
func TestFingerprintPathQuery(t *testing.T) {
	var n atomic.Int32
	app := newApp()
	mounts[0].add(app, "/files/*", routeMW("/files/{path}"), created(&n))
	s := start(t, app)

	wantStatus(t, s.post("/files/a%2Fb", "k1", order), 201, `{"run":1}`)
	adaptertest.CheckProblem(t, s.post("/files/a/b", "k1", order), 422, idempotency.CodeKeyReused)
	wantStatus(t, s.post("/files/a%2Fb", "k1", order), 201, `{"run":1}`)

	wantStatus(t, s.post("/files/x?v=1", "k2", order), 201, `{"run":2}`)
	adaptertest.CheckProblem(t, s.post("/files/x?v=2", "k2", order), 422, idempotency.CodeKeyReused)
}

func TestKeyMissing(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp()
		mt.add(app, "/orders", routeMW("/orders", idempotency.WithKeyRequired(true)), created(&n))
		s := start(t, app)

		adaptertest.CheckProblem(t, s.post("/orders", "", order), 400, idempotency.CodeKeyMissing)
		if n.Load() != 0 {
			t.Fatalf("handler ran %d times, want 0", n.Load())
		}
	})
}

// A repeated key header reaches the core as two values.
func TestKeyRepeated(t *testing.T) {
	var n atomic.Int32
	app := newApp()
	mounts[0].add(app, "/orders", routeMW("/orders"), created(&n))
	s := start(t, app)

	adaptertest.CheckProblem(t, s.post("/orders", "", order, "Idempotency-Key", "a", "Idempotency-Key", "b"),
		400, idempotency.CodeKeyInvalid)
	if n.Load() != 0 {
		t.Fatalf("handler ran %d times, want 0", n.Load())
	}
}

// With fiber's DisableHeaderNormalizing the key header keeps the case it
// was sent in; it is still the key.
func TestKeyUnnormalized(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp(fiber.Config{DisableHeaderNormalizing: true})
		mt.add(app, "/orders", routeMW("/orders", idempotency.WithKeyRequired(true)), created(&n))
		s := start(t, app)

		first := s.post("/orders", "", order, "idempotency-key", "k1")
		wantStatus(t, first, 201, `{"run":1}`)
		adaptertest.CheckReplay(t, first, s.post("/orders", "", order, "idempotency-key", "k1"))
		if n.Load() != 1 {
			t.Fatalf("handler ran %d times, want 1", n.Load())
		}
	})
}

func TestUnguardedRoute(t *testing.T) {
	var guarded, plain, get atomic.Int32
	app := newApp()
	mounts[0].add(app, "/orders", routeMW("/orders"), created(&guarded))
	app.Post("/plain", created(&plain))
	app.Get("/orders", idemfiber3.Middleware(routeMW("/orders")), created(&get))
	s := start(t, app)

	for range 2 {
		wantStatus(t, s.post("/plain", "k1", order), 201, "")
		a := s.do(http.MethodGet, "/orders", "k1", "")
		wantStatus(t, a, 201, "")
		if a.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatal("GET replayed")
		}
	}
	if plain.Load() != 2 || get.Load() != 2 || guarded.Load() != 0 {
		t.Fatalf("plain ran %d, GET %d, guarded %d; want 2, 2, 0", plain.Load(), get.Load(), guarded.Load())
	}
}

// Fiber's ways of answering are recorded as fasthttp sent them.
func TestFiberAnswers(t *testing.T) {
	type teapot struct{ error }
	jsonErrors := func(c fiber.Ctx, err error) error {
		if errors.As(err, new(teapot)) {
			return c.Status(fiber.StatusTeapot).JSON(fiber.Map{"error": err.Error()})
		}
		return fiber.DefaultErrorHandler(c, err)
	}
	cases := []struct {
		name    string
		cfg     fiber.Config
		h       func(c fiber.Ctx) error
		status  int
		body    string
		ctype   string
		options []idempotency.Option
	}{
		{"NewError", fiber.Config{}, func(fiber.Ctx) error { return fiber.NewError(409, "taken") },
			409, "taken", fiber.MIMETextPlainCharsetUTF8, nil},
		{"ErrorHandlerJSON", fiber.Config{ErrorHandler: jsonErrors}, func(fiber.Ctx) error { return teapot{errors.New("short")} },
			418, `{"error":"short"}`, fiber.MIMEApplicationJSONCharsetUTF8, nil},
		{"StatusJSON", fiber.Config{}, func(c fiber.Ctx) error { return c.Status(201).JSON(fiber.Map{"id": 7}) },
			201, `{"id":7}`, fiber.MIMEApplicationJSONCharsetUTF8, nil},
		{"JSONExplicitType", fiber.Config{}, func(c fiber.Ctx) error { return c.Status(201).JSON(fiber.Map{"id": 7}, fiber.MIMEApplicationJSON) },
			201, `{"id":7}`, fiber.MIMEApplicationJSON, nil},
		{"SendStatus204", fiber.Config{}, func(c fiber.Ctx) error { return c.SendStatus(204) },
			204, "", "", nil},
		{"SendStatus201", fiber.Config{}, func(c fiber.Ctx) error { return c.SendStatus(201) },
			201, "Created", fiber.MIMETextPlainCharsetUTF8, nil},
		{"EmptyAccepted", fiber.Config{}, func(c fiber.Ctx) error { c.Status(202); return nil },
			202, "", "", nil},
		{"CookiesAndRepeatedHeaders", fiber.Config{}, func(c fiber.Ctx) error {
			c.Cookie(&fiber.Cookie{Name: "a", Value: "1"})
			c.Cookie(&fiber.Cookie{Name: "b", Value: "2"})
			c.Response().Header.Add("X-Multi", "x")
			c.Response().Header.Add("X-Multi", "y")
			return c.Status(201).SendString("ok")
		}, 201, "ok", fiber.MIMETextPlainCharsetUTF8, []idempotency.Option{idempotency.WithReplayCookies(true)}},
		{"StaleContentLength", fiber.Config{}, func(c fiber.Ctx) error {
			c.Set(fiber.HeaderContentLength, "999") // fasthttp sends the body's length
			return c.Status(201).SendString("ok")
		}, 201, "ok", fiber.MIMETextPlainCharsetUTF8, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachMount(t, func(t *testing.T, mt mount) {
				var n atomic.Int32
				spy := &spyStore{MemoryStore: idempotency.NewMemoryStore(0)}
				m := idempotency.NewRouteMiddleware(spy, idempotency.Route{Method: "POST", Pattern: "/op"}, tc.options...)
				app := newApp(tc.cfg)
				mt.add(app, "/op", m, func(c fiber.Ctx) error {
					n.Add(1)
					return tc.h(c)
				})
				s := start(t, app)

				first := s.post("/op", "k1", order)
				if first.Status != tc.status || first.Body != tc.body || first.Header.Get("Content-Type") != tc.ctype {
					t.Fatalf("first: %d %q %q, want %d %q %q", first.Status, first.Header.Get("Content-Type"), first.Body,
						tc.status, tc.ctype, tc.body)
				}
				// Stored as sent: a 204's leftover body is not sent, nor stored.
				recs := spy.stored()
				if len(recs) != 1 || recs[0].Status != tc.status || string(recs[0].Body) != tc.body || recs[0].BodyOmitted ||
					strings.Join(recs[0].Header["Content-Type"], ",") != tc.ctype {
					t.Fatalf("stored %+v, want %d %q %q", recs, tc.status, tc.ctype, tc.body)
				}
				adaptertest.CheckReplay(t, first, s.post("/op", "k1", order))
				if n.Load() != 1 {
					t.Fatalf("handler ran %d times, want 1", n.Load())
				}
			})
		})
	}
}

// A 5xx fiber answers for a returned error is sent but not stored.
func TestServerErrorNotStored(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp()
		mt.add(app, "/orders", routeMW("/orders"), func(c fiber.Ctx) error {
			return fmt.Errorf("db down %d", n.Add(1))
		})
		s := start(t, app)

		wantStatus(t, s.post("/orders", "k1", order), 500, "db down 1")
		a := s.post("/orders", "k1", order)
		wantStatus(t, a, 500, "db down 2")
		if a.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatal("5xx replayed")
		}
	})
}

func TestPanicReleasesKey(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		app := newApp()
		app.Use(recover.New())
		mt.add(app, "/orders", routeMW("/orders"), func(c fiber.Ctx) error {
			if n.Add(1) == 1 {
				panic("boom")
			}
			return c.Status(201).SendString("second run")
		})
		s := start(t, app)

		wantStatus(t, s.post("/orders", "k1", order), 500, "boom")
		wantStatus(t, s.post("/orders", "k1", order), 201, "second run")
		first := s.post("/orders", "k1", order)
		if first.Header.Get(idempotency.HeaderIdempotencyReplayed) != "true" || n.Load() != 2 {
			t.Fatalf("third: replayed %q, runs %d; want a replay after 2 runs",
				first.Header.Get(idempotency.HeaderIdempotencyReplayed), n.Load())
		}
	})
}

// The handler sees the request through c as without the adapter, and the
// middlewares around it see the answer: for a first request and a replay.
func TestHandlerAndMiddlewares(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		type seen struct {
			status  int
			err     error
			leaked  bool // the key's Info still in the user context
			replay  string
			sawUser bool
		}
		var (
			mu   sync.Mutex
			log  []seen
			runs atomic.Int32
		)
		app := newApp()
		app.Use(func(c fiber.Ctx) error { // logger-like, outermost
			err := c.Next()
			_, leaked := idempotency.FromContext(c.Context())
			mu.Lock()
			log = append(log, seen{c.Response().StatusCode(), err, leaked,
				string(c.Response().Header.Peek(idempotency.HeaderIdempotencyReplayed)), c.Locals("user") != nil})
			mu.Unlock()
			return err
		})
		app.Use(func(c fiber.Ctx) error { // prepares the response before the handler
			c.Locals("user", "ann")
			c.Set("X-Trace", "outer") // the handler's own replaces it
			_ = c.SendString("placeholder")
			return c.Next()
		})
		mt.add(app, "/users/:id/orders", routeMW("/users/{id}/orders"), func(c fiber.Ctx) error {
			runs.Add(1)
			info, ok := idempotency.FromContext(c.Context())
			if !ok {
				return fiber.NewError(400, "no idempotency info")
			}
			c.Set("X-Trace", "handler")
			return c.Status(201).JSON(fiber.Map{
				"id": c.Params("id"), "user": c.Locals("user"), "key": info.Key, "body": string(c.Body()),
			})
		})
		s := start(t, app)

		big := strings.Repeat("x", 10000) // more than one read's worth
		first := s.post("/users/u7/orders", "k1", big)
		wantStatus(t, first, 201, fmt.Sprintf(`{"body":%q,"id":"u7","key":"k1","user":"ann"}`, big))
		adaptertest.CheckReplay(t, first, s.post("/users/u7/orders", "k1", big))
		if tr := first.Header.Values("X-Trace"); len(tr) != 1 || tr[0] != "handler" {
			t.Fatalf("X-Trace %q, want the handler's", tr)
		}

		mu.Lock()
		defer mu.Unlock()
		want := []seen{{201, nil, false, "", true}, {201, nil, false, "true", true}}
		if fmt.Sprint(log) != fmt.Sprint(want) || runs.Load() != 1 {
			t.Fatalf("middleware saw %v, want %v; runs %d", log, want, runs.Load())
		}
	})
}

// Without a key nothing is recorded, and fiber handles the handler's error
// itself: the middlewares before see it, and it is answered once.
func TestUnrecordedErrorGoesToFiber(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var got error
		app := newApp()
		app.Use(func(c fiber.Ctx) error {
			got = c.Next()
			return got
		})
		mt.add(app, "/orders", routeMW("/orders"), func(fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTeapot, "teapot")
		})
		s := start(t, app)

		wantStatus(t, s.post("/orders", "", order), 418, "teapot")
		var fe *fiber.Error
		if !errors.As(got, &fe) || fe.Code != 418 {
			t.Fatalf("middleware got %v, want the handler's error", got)
		}
	})
}

// Middleware on a group and Serve on its route: the inner layer passes
// through, the outer one records the error answer once.
func TestTwoLayers(t *testing.T) {
	var n atomic.Int32
	store := idempotency.NewMemoryStore(0)
	outer := idempotency.New(store)
	inner := idempotency.NewRouteMiddleware(store, idempotency.Route{Method: "POST", Pattern: "/api/orders"})
	app := newApp()
	api := app.Group("/api", idemfiber3.Middleware(outer))
	api.Post("/orders", func(c fiber.Ctx) error {
		return idemfiber3.Serve(inner, c, func(fiber.Ctx) error {
			n.Add(1)
			return fiber.NewError(409, "taken")
		})
	})
	s := start(t, app)

	first := s.post("/api/orders", "k1", order)
	wantStatus(t, first, 409, "taken")
	adaptertest.CheckReplay(t, first, s.post("/api/orders", "k1", order))
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", n.Load())
	}
}

// A body stream goes out whole and unread by the adapter; only status and
// headers are stored.
func TestBodyStream(t *testing.T) {
	streams := map[string]func(c fiber.Ctx) error{
		"SendStream": func(c fiber.Ctx) error {
			return c.Status(201).SendStream(bytes.NewReader([]byte("streamed body")))
		},
		"SendStreamWriter": func(c fiber.Ctx) error {
			return c.Status(201).SendStreamWriter(func(w *bufio.Writer) {
				w.WriteString("streamed body")
			})
		},
		"SetBodyStreamWriter": func(c fiber.Ctx) error {
			c.Status(201).Set("Content-Type", "text/event-stream")
			c.RequestCtx().SetBodyStreamWriter(func(w *bufio.Writer) {
				w.WriteString("streamed body")
			})
			return nil
		},
	}
	for name, h := range streams {
		t.Run(name, func(t *testing.T) {
			var n atomic.Int32
			app := newApp()
			mounts[0].add(app, "/orders", routeMW("/orders"), func(c fiber.Ctx) error {
				n.Add(1)
				return h(c)
			})
			s := start(t, app)

			first := s.post("/orders", "k1", order)
			wantStatus(t, first, 201, "streamed body")
			replay := s.post("/orders", "k1", order)
			wantStatus(t, replay, 201, "")
			if replay.Header.Get("Idempotency-Replay") != "omitted" ||
				replay.Header.Get("Content-Type") != first.Header.Get("Content-Type") || n.Load() != 1 {
				t.Fatalf("replay %v, runs %d; want Idempotency-Replay: omitted, first's Content-Type %q, 1 run",
					replay.Header, n.Load(), first.Header.Get("Content-Type"))
			}
		})
	}
}

// Fiber v3 runs a net/http handler given as a route handler through
// fasthttpadaptor, which writes its answer into fasthttp's response before
// returning: behind Middleware it is recorded and replayed like any.
func TestNetHTTPHandler(t *testing.T) {
	var n atomic.Int32
	app := newApp()
	app.Post("/orders", idemfiber3.Middleware(routeMW("/orders")), func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Order", "o-1")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"run":%d,"body":%q}`, n.Add(1), b)
	})
	s := start(t, app)

	first := s.post("/orders", "k1", order)
	wantStatus(t, first, 201, fmt.Sprintf(`{"run":1,"body":%q}`, order))
	if first.Header.Get("X-Order") != "o-1" || first.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("first headers %v", first.Header)
	}
	adaptertest.CheckReplay(t, first, s.post("/orders", "k1", order))
	if n.Load() != 1 {
		t.Fatalf("handler ran %d times, want 1", n.Load())
	}
}

// A recorded error is answered once, by the ErrorHandler inside Serve, and
// not handed back to fiber (which would answer it again after the record);
// a replay does not run the ErrorHandler at all.
func TestRecordedErrorAnsweredOnce(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var handled atomic.Int32
		var mu sync.Mutex
		var got []error
		app := newApp(fiber.Config{ErrorHandler: func(c fiber.Ctx, err error) error {
			handled.Add(1)
			return fiber.DefaultErrorHandler(c, err)
		}})
		app.Use(func(c fiber.Ctx) error {
			err := c.Next()
			mu.Lock()
			got = append(got, err)
			mu.Unlock()
			return err
		})
		mt.add(app, "/orders", routeMW("/orders"), func(fiber.Ctx) error { return fiber.NewError(409, "taken") })
		s := start(t, app)

		first := s.post("/orders", "k1", order)
		wantStatus(t, first, 409, "taken")
		adaptertest.CheckReplay(t, first, s.post("/orders", "k1", order))
		mu.Lock()
		defer mu.Unlock()
		if handled.Load() != 1 || len(got) != 2 || got[0] != nil || got[1] != nil {
			t.Fatalf("ErrorHandler ran %d times, middleware got %v; want 1 and [nil nil]", handled.Load(), got)
		}
	})
}

// The *http.Request the core reads (and hands to a WithScope function) is
// fiber's request as received.
func TestRequestView(t *testing.T) {
	type view struct{ method, uri, path, query, host, remote, proto, ua string }
	views := make(chan view, 1)
	scope := func(r *http.Request) string {
		select { // the first call's: never block the server
		case views <- view{r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery, r.Host, r.RemoteAddr, r.Proto, r.Header.Get("User-Agent")}:
		default:
		}
		return ""
	}
	var n atomic.Int32
	app := newApp()
	mounts[0].add(app, "/orders", routeMW("/orders", idempotency.WithScope(scope)), created(&n))
	s := start(t, app)

	wantStatus(t, s.post("/orders?x=1", "k1", order, "User-Agent", "view-test"), 201, `{"run":1}`)
	v := <-views
	host := strings.TrimPrefix(s.base, "http://")
	remote, _, err := net.SplitHostPort(v.remote)
	want := view{"POST", "/orders?x=1", "/orders", "x=1", host, v.remote, "HTTP/1.1", "view-test"}
	if v != want || err != nil || remote != "127.0.0.1" {
		t.Fatalf("request view %+v, want %+v from 127.0.0.1", v, want)
	}
}
