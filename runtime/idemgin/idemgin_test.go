package idemgin_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/idemgen/idemgen/runtime/idemgin"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
)

func init() { gin.SetMode(gin.TestMode) }

// mount registers h for POST path behind m, one way or the other, after
// the route's own middlewares mws.
type mount struct {
	name string
	add  func(r gin.IRoutes, m *idempotency.Middleware, path string, h gin.HandlerFunc, mws ...gin.HandlerFunc)
}

var mounts = []mount{
	{"Serve", func(r gin.IRoutes, m *idempotency.Middleware, path string, h gin.HandlerFunc, mws ...gin.HandlerFunc) {
		// As the generated wrappers call it: the route's last handler.
		r.POST(path, append(mws, func(c *gin.Context) { idemgin.Serve(m, c, h) })...)
	}},
	{"Middleware", func(r gin.IRoutes, m *idempotency.Middleware, path string, h gin.HandlerFunc, mws ...gin.HandlerFunc) {
		r.POST(path, append(append(mws, idemgin.Middleware(m)), h)...)
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

// newEngine is gin with its recovery middleware, quiet.
func newEngine() *gin.Engine {
	r := gin.New()
	r.Use(gin.RecoveryWithWriter(io.Discard))
	return r
}

// start serves r on a real listener on 127.0.0.1.
func start(t *testing.T, r http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return srv.URL
}

// created answers 201 with c.JSON and a header of its own, counting runs.
func created(n *atomic.Int32) gin.HandlerFunc {
	return func(c *gin.Context) {
		i := n.Add(1)
		c.Header("X-Order", "A-1")
		c.JSON(http.StatusCreated, gin.H{"order": "A-1", "run": i})
	}
}

func TestReplay(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", created(&n))
		url := start(t, r) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{"amount":5}`)
		if first.Status != http.StatusCreated || first.Body != `{"order":"A-1","run":1}` {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		if ct := first.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		if first.Header.Get("X-Order") != "A-1" {
			t.Errorf("X-Order missing: %v", first.Header)
		}
		again := adaptertest.Post(t, url, "k1", `{"amount":5}`)
		adaptertest.CheckReplay(t, first, again)
		if n.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", n.Load())
		}
	})
}

func TestInFlight(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		started, release := make(chan struct{}), make(chan struct{})
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
			close(started)
			<-release
			c.JSON(http.StatusCreated, gin.H{"ok": true})
		})
		url := start(t, r) + "/orders"

		done := make(chan adaptertest.Reply, 1)
		go func() {
			first, err := adaptertest.SendJSON(http.MethodPost, url, "k1", `{}`)
			if err != nil {
				t.Error(err)
			}
			done <- first
		}()
		<-started
		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "k1", `{}`), http.StatusConflict, idempotency.CodeKeyInUse)
		close(release)
		if first := <-done; first.Status != http.StatusCreated {
			t.Errorf("first = %d %q, want 201", first.Status, first.Body)
		}
	})
}

func TestChangedBody(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", created(&n))
		url := start(t, r) + "/orders"

		adaptertest.Post(t, url, "k1", `{"amount":5}`)
		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "k1", `{"amount":6}`), http.StatusUnprocessableEntity, idempotency.CodeKeyReused)
		if n.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", n.Load())
		}
	})
}

func TestKeyMissing(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		r := newEngine()
		mt.add(r, newMiddleware(idempotency.WithKeyRequired(true)), "/orders", created(&n))
		url := start(t, r) + "/orders"

		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "", `{}`), http.StatusBadRequest, idempotency.CodeKeyMissing)
		if n.Load() != 0 {
			t.Errorf("handler ran %d times, want 0", n.Load())
		}
	})
}

// A route of the same engine that is not behind the adapter runs for
// every request, key or not.
func TestUnguardedRoute(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var guarded, plain atomic.Int32
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", created(&guarded))
		r.POST("/plain", created(&plain))
		base := start(t, r)

		adaptertest.Post(t, base+"/orders", "k1", `{}`)
		for range 2 {
			if got := adaptertest.Post(t, base+"/plain", "k1", `{}`); got.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
				t.Errorf("unguarded route replayed: %v", got.Header)
			}
		}
		if plain.Load() != 2 || guarded.Load() != 1 {
			t.Errorf("plain ran %d times, guarded %d; want 2 and 1", plain.Load(), guarded.Load())
		}
	})
}

// A request the middleware does not record (no key here) is gin's as
// without the adapter: the status stays pending after the handler, so a
// header an outer middleware sets after the chain still goes out.
func TestNoKeyPassesThrough(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		r := newEngine()
		r.Use(func(c *gin.Context) {
			c.Next()
			c.Header("X-Late", "yes")
		})
		mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
			n.Add(1)
			c.Status(http.StatusAccepted)
		})
		url := start(t, r) + "/orders"

		for range 2 {
			if got := adaptertest.Post(t, url, "", `{}`); got.Status != http.StatusAccepted || got.Header.Get("X-Late") != "yes" {
				t.Errorf("got %d %v, want 202 with X-Late", got.Status, got.Header)
			}
		}
		if n.Load() != 2 {
			t.Errorf("handler ran %d times, want 2", n.Load())
		}
	})
}

// gin's ways of answering are recorded as sent and replayed alike; a 5xx
// is sent but not stored, so its retry runs the handler again.
func TestAnswers(t *testing.T) {
	cases := []struct {
		name   string
		h      gin.HandlerFunc
		status int
		ct     string // Content-Type sent and replayed
		stored bool
	}{
		{"AbortWithStatusJSON", func(c *gin.Context) {
			c.AbortWithStatusJSON(http.StatusConflict, gin.H{"error": "order already shipped"})
		}, http.StatusConflict, "application/json; charset=utf-8", true},
		{"StatusAlone", func(c *gin.Context) {
			c.Status(http.StatusNoContent)
			// gin sends the status at the end: a header set after it
			// still goes out, so it must be recorded too.
			c.Header("X-After-Status", "yes")
		}, http.StatusNoContent, "", true},
		{"AbortWithStatus", func(c *gin.Context) {
			c.Header("X-Reason", "quota")
			c.AbortWithStatus(http.StatusTooManyRequests)
		}, http.StatusTooManyRequests, "", true},
		{"Data", func(c *gin.Context) {
			c.Data(http.StatusCreated, "application/octet-stream", []byte{0, 1, 2, 0xff})
		}, http.StatusCreated, "application/octet-stream", true},
		{"String500", func(c *gin.Context) {
			c.String(http.StatusInternalServerError, "db down")
		}, http.StatusInternalServerError, "text/plain; charset=utf-8", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachMount(t, func(t *testing.T, mt mount) {
				var n atomic.Int32
				r := newEngine()
				mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
					n.Add(1)
					tc.h(c)
				})
				url := start(t, r) + "/orders"

				first := adaptertest.Post(t, url, "k1", `{}`)
				if first.Status != tc.status || first.Header.Get("Content-Type") != tc.ct {
					t.Fatalf("first = %d %q, want %d %q", first.Status, first.Header.Get("Content-Type"), tc.status, tc.ct)
				}
				again := adaptertest.Post(t, url, "k1", `{}`)
				if !tc.stored {
					if again.Status != tc.status || again.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" || n.Load() != 2 {
						t.Errorf("retry = %d %v after %d runs, want the handler run again", again.Status, again.Header, n.Load())
					}
					return
				}
				adaptertest.CheckReplay(t, first, again)
				if n.Load() != 1 {
					t.Errorf("handler ran %d times, want 1", n.Load())
				}
			})
		})
	}
}

// seen is what the handler and the middlewares around it observed.
type seen struct {
	body, param, tenant, key string
	keyOK                    bool
	ginKey                   string // FromContext(c), with ContextWithFallback
}

// outcome is what a logger-like middleware sees after the chain.
type outcome struct {
	status, size int
	written      bool
	restored     bool // c.Writer and c.Request are those it passed on
}

func TestHandlerSees(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		handler := make(chan seen, 1)
		after := make(chan outcome, 2)
		r := newEngine()
		r.ContextWithFallback = true
		r.Use(func(c *gin.Context) {
			w, req := c.Writer, c.Request
			c.Next()
			after <- outcome{c.Writer.Status(), c.Writer.Size(), c.Writer.Written(), c.Writer == w && c.Request == req}
		})
		tenant := func(c *gin.Context) { c.Set("tenant", "t-9") }
		mt.add(r, newMiddleware(), "/orders/:id/pay", func(c *gin.Context) {
			n.Add(1)
			b, err := c.GetRawData()
			if err != nil {
				t.Error(err)
			}
			info, ok := idempotency.FromContext(c.Request.Context())
			viaGin, _ := idempotency.FromContext(c)
			handler <- seen{string(b), c.Param("id"), c.GetString("tenant"), info.Key, ok, viaGin.Key}
			c.JSON(http.StatusCreated, gin.H{"paid": c.Param("id")})
		}, tenant)
		url := start(t, r) + "/orders/42/pay"

		body := `{"amount":5,"currency":"EUR"}`
		first := adaptertest.Post(t, url, "k-pay", body)
		want := seen{body, "42", "t-9", "k-pay", true, "k-pay"}
		if got := <-handler; got != want {
			t.Errorf("handler saw %+v, want %+v", got, want)
		}
		wantOut := outcome{http.StatusCreated, len(first.Body), true, true}
		if got := <-after; got != wantOut {
			t.Errorf("after the handler: %+v, want %+v", got, wantOut)
		}
		again := adaptertest.Post(t, url, "k-pay", body)
		adaptertest.CheckReplay(t, first, again)
		if got := <-after; got != wantOut {
			t.Errorf("after a replay: %+v, want %+v", got, wantOut)
		}
		if n.Load() != 1 {
			t.Errorf("handler ran %d times, want 1", n.Load())
		}
	})
}

// The handler's c.Writer answers gin's questions as gin's own does.
func TestWriterBookkeeping(t *testing.T) {
	type state struct {
		status, size int
		written      bool
	}
	eachMount(t, func(t *testing.T, mt mount) {
		states := make(chan [3]state, 1)
		notify := make(chan bool, 1)
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
			w := c.Writer
			var s [3]state
			s[0] = state{w.Status(), w.Size(), w.Written()}
			c.Status(http.StatusAccepted)
			s[1] = state{w.Status(), w.Size(), w.Written()}
			c.String(-1, "queued")
			s[2] = state{w.Status(), w.Size(), w.Written()}
			states <- s
			notify <- w.CloseNotify() != nil
		})
		url := start(t, r) + "/orders"

		if got := adaptertest.Post(t, url, "k1", `{}`); got.Status != http.StatusAccepted || got.Body != "queued" {
			t.Fatalf("got %d %q", got.Status, got.Body)
		}
		want := [3]state{{200, -1, false}, {202, -1, false}, {202, 6, true}}
		if got := <-states; got != want {
			t.Errorf("writer states = %+v, want %+v", got, want)
		}
		if !<-notify {
			t.Errorf("CloseNotify found no channel below the recorder")
		}
	})
}

// gin's error pattern is outside the recording: errors pushed with
// c.Error and written by a middleware after the chain reach the first
// client but not the record (the package documents it). The same
// middleware inside Middleware's chain is recorded.
func TestErrorsWrittenAfterHandler(t *testing.T) {
	writeErrors := func(c *gin.Context) {
		c.Next()
		if len(c.Errors) > 0 {
			c.JSON(-1, gin.H{"error": c.Errors.Last().Error()})
		}
	}
	declined := func(c *gin.Context) {
		_ = c.Error(errors.New("card declined"))
		c.Status(http.StatusPaymentRequired)
	}
	eachMount(t, func(t *testing.T, mt mount) {
		r := newEngine()
		r.Use(writeErrors)
		mt.add(r, newMiddleware(), "/orders", declined)
		url := start(t, r) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusPaymentRequired || !strings.Contains(first.Body, "card declined") {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		// The status and headers went out as recorded when Serve
		// returned: the Content-Type c.JSON sets afterwards is not sent
		// (net/http sniffs one for the body instead).
		if ct := first.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/json") {
			t.Errorf("first Content-Type = %q: a header set after Serve returned was sent", ct)
		}
		again := adaptertest.Post(t, url, "k1", `{}`)
		if again.Status != http.StatusPaymentRequired || again.Body != "" || again.Header.Get(idempotency.HeaderIdempotencyReplayed) != "true" {
			t.Errorf("replay = %d %q %v, want the status alone, replayed", again.Status, again.Body, again.Header)
		}
	})
	t.Run("InsideMiddleware", func(t *testing.T) {
		r := newEngine()
		r.POST("/orders", idemgin.Middleware(newMiddleware()), writeErrors, declined)
		url := start(t, r) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusPaymentRequired || first.Body != `{"error":"card declined"}` {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
	})
}

func TestPanicReleasesKey(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		restored := make(chan bool, 2)
		r := newEngine()
		r.ContextWithFallback = true
		r.Use(func(c *gin.Context) {
			w, req := c.Writer, c.Request
			// Deferred: it runs while the panic unwinds to recovery.
			defer func() { restored <- c.Writer == w && c.Request == req }()
			c.Next()
		})
		mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
			if n.Add(1) == 1 {
				c.Header("X-Half", "set before the panic")
				c.Status(http.StatusCreated)
				panic("boom")
			}
			c.JSON(http.StatusCreated, gin.H{"ok": true})
		})
		url := start(t, r) + "/orders"

		if got := adaptertest.Post(t, url, "k1", `{}`); got.Status != http.StatusInternalServerError {
			t.Fatalf("panic answered %d, want recovery's 500", got.Status)
		}
		if !<-restored {
			t.Errorf("c.Writer or c.Request not restored on a panic")
		}
		if got := adaptertest.Post(t, url, "k1", `{}`); got.Status != http.StatusCreated || got.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Fatalf("retry = %d %v, want a fresh 201", got.Status, got.Header)
		}
		if n.Load() != 2 {
			t.Errorf("handler ran %d times, want 2", n.Load())
		}
	})
}

// A flushed response is sent as a stream and stored as status and headers
// only.
func TestFlush(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		r := newEngine()
		mt.add(r, newMiddleware(), "/orders", func(c *gin.Context) {
			n.Add(1)
			c.Header("Content-Type", "text/event-stream")
			c.Status(http.StatusAccepted)
			c.Writer.Flush()
			c.Writer.WriteString("data: 1\n\n")
		})
		url := start(t, r) + "/orders"

		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusAccepted || first.Body != "data: 1\n\n" {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		again := adaptertest.Post(t, url, "k1", `{}`)
		if again.Status != http.StatusAccepted || again.Body != "" || again.Header.Get("Idempotency-Replay") != "omitted" ||
			again.Header.Get("Content-Type") != "text/event-stream" || n.Load() != 1 {
			t.Errorf("replay = %d %q %v after %d runs", again.Status, again.Body, again.Header, n.Load())
		}
	})
}

// A hijacked connection reaches net/http through the recorder; nothing is
// stored and the retry runs again.
func TestHijack(t *testing.T) {
	eachMount(t, func(t *testing.T, mt mount) {
		var n atomic.Int32
		// The client has its answer before the handler returns and the
		// key is released: wait for the release before retrying.
		released := make(chan struct{}, 2)
		m := newMiddleware(idempotency.WithObserver(func(ev idempotency.Event) {
			if ev.Outcome == idempotency.OutcomeNotStored {
				released <- struct{}{}
			}
		}))
		r := newEngine()
		mt.add(r, m, "/orders", func(c *gin.Context) {
			n.Add(1)
			conn, rw, err := c.Writer.Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
			rw.Flush()
		})
		url := start(t, r) + "/orders"

		for range 2 {
			if got := adaptertest.Post(t, url, "k1", `{}`); got.Status != http.StatusOK || got.Body != "hi" {
				t.Fatalf("got %d %q", got.Status, got.Body)
			}
			<-released
		}
		if n.Load() != 2 {
			t.Errorf("handler ran %d times, want 2", n.Load())
		}
	})
}

// Middleware on a group and Serve on its route guard one request once:
// the inner layer passes the claimed request through, and the handler
// writes to the outer layer's recording writer.
func TestTwoLayers(t *testing.T) {
	var n atomic.Int32
	m := newMiddleware()
	r := newEngine()
	g := r.Group("/v1", idemgin.Middleware(m))
	mounts[0].add(g, m, "/orders", created(&n))
	url := start(t, r) + "/v1/orders"

	first := adaptertest.Post(t, url, "k1", `{}`)
	if first.Status != http.StatusCreated || first.Header.Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("first = %d %v", first.Status, first.Header)
	}
	adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
	if n.Load() != 1 {
		t.Errorf("handler ran %d times, want 1", n.Load())
	}
}
