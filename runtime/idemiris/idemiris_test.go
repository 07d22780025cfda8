package idemiris_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/idemgen/idemgen/runtime/idemiris"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
	"github.com/kataras/iris/v12"
	"github.com/kataras/iris/v12/middleware/recover"
)

// A retry with the same key and body gets the first response again, and
// the handler runs once.
func TestReplay(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		var runs atomic.Int32
		mt.add(app, newMiddleware(), "/payments", func(ctx iris.Context) {
			var in struct{ Amount int }
			if err := ctx.ReadJSON(&in); err != nil {
				ctx.StopWithError(http.StatusBadRequest, err)
				return
			}
			ctx.Header("X-Payment", "pay_1")
			ctx.StatusCode(http.StatusCreated)
			ctx.JSON(iris.Map{"run": runs.Add(1), "amount": in.Amount})
		})
		url := start(t, app) + "/payments"

		first := adaptertest.Post(t, url, "k1", `{"amount":250}`)
		if first.Status != http.StatusCreated || first.Body != `{"amount":250,"run":1}`+"\n" {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		if ct := first.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		if got := first.Header.Get("X-Payment"); got != "pay_1" {
			t.Errorf("X-Payment = %q, want pay_1", got)
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{"amount":250}`))
		if n := runs.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
	})
}

// A second request while the first runs gets 409; the first completes.
func TestInFlightConflict(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		entered := make(chan struct{}, 2)
		release := make(chan struct{})
		mt.add(app, newMiddleware(), "/slow", func(ctx iris.Context) {
			entered <- struct{}{}
			<-release
			ctx.StatusCode(http.StatusCreated)
			ctx.JSON(iris.Map{"ok": true})
		})
		url := start(t, app) + "/slow"

		type result struct {
			r   adaptertest.Reply
			err error
		}
		firstc, secondc := make(chan result, 1), make(chan result, 1)
		go func() {
			r, err := adaptertest.SendJSON(http.MethodPost, url, "k1", `{}`)
			firstc <- result{r, err}
		}()
		<-entered
		go func() {
			r, err := adaptertest.SendJSON(http.MethodPost, url, "k1", `{}`)
			secondc <- result{r, err}
		}()
		select {
		case res := <-secondc:
			if res.err != nil {
				t.Error(res.err)
				break
			}
			adaptertest.CheckProblem(t, res.r, http.StatusConflict, idempotency.CodeKeyInUse)
			if res.r.Header.Get("Retry-After") == "" {
				t.Error("409 without Retry-After")
			}
		case <-entered:
			t.Error("the second request ran the handler")
		}
		close(release)
		res := <-firstc
		if res.err != nil || res.r.Status != http.StatusCreated {
			t.Errorf("first = %d %v, want 201", res.r.Status, res.err)
		}
	})
}

// The same key with another body is refused with 422.
func TestChangedBody(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		var runs atomic.Int32
		mt.add(app, newMiddleware(), "/payments", func(ctx iris.Context) {
			runs.Add(1)
			ctx.StatusCode(http.StatusCreated)
		})
		url := start(t, app) + "/payments"
		if r := adaptertest.Post(t, url, "k1", `{"amount":1}`); r.Status != http.StatusCreated {
			t.Fatalf("first = %d", r.Status)
		}
		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "k1", `{"amount":2}`), http.StatusUnprocessableEntity, idempotency.CodeKeyReused)
		if n := runs.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
	})
}

// With the key required, a request without one is refused before the
// handler.
func TestKeyMissing(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		var runs atomic.Int32
		mt.add(app, newMiddleware(idempotency.WithKeyRequired(true)), "/payments", func(ctx iris.Context) {
			runs.Add(1)
		})
		url := start(t, app) + "/payments"
		adaptertest.CheckProblem(t, adaptertest.Post(t, url, "", `{}`), http.StatusBadRequest, idempotency.CodeKeyMissing)
		if n := runs.Load(); n != 0 {
			t.Errorf("handler ran %d times, want 0", n)
		}
	})
}

// Only what is put behind the adapter is guarded: another route, and a
// method m does not guard, run every time.
func TestUnguarded(t *testing.T) {
	app := newApp()
	m := newMiddleware()
	var runs atomic.Int32
	h := func(ctx iris.Context) { ctx.StatusCode(http.StatusCreated); ctx.JSON(iris.Map{"run": runs.Add(1)}) }
	app.Post("/plain", h)
	app.Put("/put", idemiris.Middleware(m), h)
	base := start(t, app)
	for i, url := range []string{base + "/plain", base + "/plain"} {
		r := adaptertest.Post(t, url, "k1", `{}`)
		if r.Status != http.StatusCreated || r.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" {
			t.Errorf("request %d = %d %v", i, r.Status, r.Header)
		}
	}
	for range 2 {
		if _, err := adaptertest.SendJSON(http.MethodPut, base+"/put", "k1", `{}`); err != nil {
			t.Fatal(err)
		}
	}
	if n := runs.Load(); n != 4 {
		t.Errorf("handler ran %d times, want 4", n)
	}
}

// iris's own ways of answering are stored as sent and replayed, a 5xx is
// sent but not stored.
func TestFrameworkAnswers(t *testing.T) {
	cases := []struct {
		name   string
		h      iris.Handler
		status int
		body   string // "" checks only that the replay repeats it
		stored bool
	}{
		{"StopWithError", func(ctx iris.Context) {
			ctx.StopWithError(http.StatusConflict, errors.New("card declined"))
		}, http.StatusConflict, "card declined", true},
		{"StopWithJSON", func(ctx iris.Context) {
			ctx.StopWithJSON(http.StatusPaymentRequired, iris.Map{"error": "insufficient funds"})
		}, http.StatusPaymentRequired, `{"error":"insufficient funds"}` + "\n", true},
		{"JSON", func(ctx iris.Context) {
			ctx.JSON(iris.Map{"ok": true})
		}, http.StatusOK, `{"ok":true}` + "\n", true},
		{"StatusCode alone", func(ctx iris.Context) {
			ctx.StatusCode(http.StatusNoContent)
		}, http.StatusNoContent, "", true},
		// iris renders these after the chain; the adapter has it render
		// them while the response is recorded.
		{"StopWithStatus", func(ctx iris.Context) {
			ctx.StopWithStatus(http.StatusConflict)
		}, http.StatusConflict, "Conflict", true},
		{"StopWithPlainError", func(ctx iris.Context) {
			ctx.StopWithPlainError(http.StatusConflict, errors.New("out of stock"))
		}, http.StatusConflict, "out of stock", true},
		{"StopWithError 500", func(ctx iris.Context) {
			ctx.StopWithError(http.StatusInternalServerError, errors.New("db down"))
		}, http.StatusInternalServerError, "db down", false},
		{"StopWithStatus 503", func(ctx iris.Context) {
			ctx.StopWithStatus(http.StatusServiceUnavailable)
		}, http.StatusServiceUnavailable, "Service Unavailable", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
				var runs atomic.Int32
				mt.add(app, newMiddleware(), "/op", func(ctx iris.Context) {
					runs.Add(1)
					tc.h(ctx)
				})
				url := start(t, app) + "/op"
				first := adaptertest.Post(t, url, "k1", `{}`)
				if first.Status != tc.status || first.Body != tc.body {
					t.Fatalf("first = %d %q, want %d %q", first.Status, first.Body, tc.status, tc.body)
				}
				again := adaptertest.Post(t, url, "k1", `{}`)
				if !tc.stored {
					if again.Header.Get(idempotency.HeaderIdempotencyReplayed) != "" || runs.Load() != 2 {
						t.Errorf("a %d was stored: retry %d %v, handler ran %d times", tc.status, again.Status, again.Header, runs.Load())
					}
					return
				}
				adaptertest.CheckReplay(t, first, again)
				if n := runs.Load(); n != 1 {
					t.Errorf("handler ran %d times, want 1", n)
				}
			})
		})
	}
}

// An error handler registered with OnErrorCode is recorded, and the chain
// after Serve sees the state the handler left.
func TestOnErrorCode(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		stopped := make(chan bool, 2)
		app.Use(func(ctx iris.Context) { ctx.Next(); stopped <- ctx.IsStopped() })
		app.OnErrorCode(http.StatusConflict, func(ctx iris.Context) {
			ctx.JSON(iris.Map{"page": "conflict"})
		})
		var runs atomic.Int32
		mt.add(app, newMiddleware(), "/op", func(ctx iris.Context) {
			runs.Add(1)
			ctx.StopWithStatus(http.StatusConflict)
		})
		url := start(t, app) + "/op"
		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusConflict || first.Body != `{"page":"conflict"}`+"\n" {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		if !<-stopped {
			t.Error("after Serve the chain is no longer stopped")
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
		<-stopped
		if n := runs.Load(); n != 1 {
			t.Errorf("handler ran %d times, want 1", n)
		}
	})
}

// The handler gets the body, route parameters, values set before it and
// the key; middlewares before and after see the right request, writer and
// status, for the first response and for the replay.
func TestHandlerContext(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		type entry struct {
			status, size int
			same         bool
		}
		logs := make(chan entry, 2)
		var before atomic.Int32
		app.Use(func(ctx iris.Context) { // logger-like
			r, w := ctx.Request(), ctx.ResponseWriter()
			ctx.Next()
			size := ctx.ResponseWriter().Written()
			if rec, ok := ctx.IsRecording(); ok {
				size = len(rec.Body())
			}
			logs <- entry{ctx.GetStatusCode(), size, ctx.Request() == r && ctx.ResponseWriter() == w}
		})
		app.Use(func(ctx iris.Context) {
			before.Add(1)
			ctx.Values().Set("tenant", "acme")
			ctx.Next()
		})
		mt.add(app, newMiddleware(), "/orders/{id}/pay", func(ctx iris.Context) {
			body, err := ctx.GetBody()
			if err != nil {
				ctx.StopWithError(http.StatusBadRequest, err)
				return
			}
			info, _ := idempotency.FromContext(ctx.Request().Context())
			ctx.StatusCode(http.StatusCreated)
			ctx.JSON(iris.Map{
				"id":     ctx.Params().Get("id"),
				"tenant": ctx.Values().GetString("tenant"),
				"key":    info.Key,
				"body":   string(body),
			})
		})
		url := start(t, app) + "/orders/o42/pay"

		payload := `{"amount":250,"note":"` + strings.Repeat("x", 5000) + `"}`
		first := adaptertest.Post(t, url, "k1", payload)
		var got struct{ ID, Tenant, Key, Body string }
		if err := json.Unmarshal([]byte(first.Body), &got); err != nil {
			t.Fatalf("first = %d %q: %v", first.Status, first.Body, err)
		}
		if got.ID != "o42" || got.Tenant != "acme" || got.Key != "k1" || got.Body != payload {
			t.Errorf("handler saw id %q tenant %q key %q body of %d bytes", got.ID, got.Tenant, got.Key, len(got.Body))
		}
		again := adaptertest.Post(t, url, "k1", payload)
		adaptertest.CheckReplay(t, first, again)
		for i, e := range []entry{<-logs, <-logs} {
			if e.status != http.StatusCreated || e.size <= 0 || !e.same {
				t.Errorf("logger, request %d: %+v, want status 201, a size, request and writer restored", i, e)
			}
		}
		if n := before.Load(); n != 2 {
			t.Errorf("middleware before ran %d times, want 2", n)
		}
	})
}

// A panic releases the key: iris's recover answers 500 and a retry runs
// the handler again.
func TestPanicReleasesKey(t *testing.T) {
	eachMount(t, func(t *testing.T, app *iris.Application, mt mount) {
		restored := make(chan bool, 3)
		app.Use(func(ctx iris.Context) {
			r, w := ctx.Request(), ctx.ResponseWriter()
			ctx.Next()
			restored <- ctx.Request() == r && ctx.ResponseWriter() == w
		})
		app.Use(recover.New())
		var runs atomic.Int32
		mt.add(app, newMiddleware(), "/op", func(ctx iris.Context) {
			if runs.Add(1) == 1 {
				panic("boom")
			}
			ctx.StatusCode(http.StatusCreated)
			ctx.JSON(iris.Map{"ok": true})
		})
		url := start(t, app) + "/op"
		// iris's page for the 500, readable (decompressed) under compression.
		if r := adaptertest.Post(t, url, "k1", `{}`); r.Status != http.StatusInternalServerError || r.Body != "Internal Server Error" {
			t.Fatalf("panicking request = %d %q, want 500 Internal Server Error", r.Status, r.Body)
		}
		retry := adaptertest.Post(t, url, "k1", `{}`)
		if retry.Status != http.StatusCreated || runs.Load() != 2 {
			t.Fatalf("retry = %d, handler ran %d times; want 201, 2", retry.Status, runs.Load())
		}
		adaptertest.CheckReplay(t, retry, adaptertest.Post(t, url, "k1", `{}`))
		for i := range 3 {
			if !<-restored {
				t.Errorf("request %d: request or writer not restored", i)
			}
		}
	})
}

// Under iris.Compression the record holds the response uncompressed, so a
// replay is compressed as its own request negotiated.
func TestCompressionNegotiatedPerReplay(t *testing.T) {
	for _, mt := range []mount{mounts[0], mounts[1], {"Serve/Record", func(app *iris.Application) { app.Use(record) }, viaServe}} {
		t.Run(mt.name, func(t *testing.T) {
			app := newApp()
			app.Use(iris.Compression)
			mt.use(app)
			mt.add(app, newMiddleware(), "/op", func(ctx iris.Context) {
				ctx.StatusCode(http.StatusCreated)
				ctx.JSON(iris.Map{"ok": true})
			})
			url := start(t, app) + "/op"
			for _, order := range [][2]string{{"gzip", "identity"}, {"identity", "gzip"}} {
				key := "k-" + order[0]
				for _, enc := range order {
					r, err := adaptertest.SendJSON(http.MethodPost, url, key, `{}`, "Accept-Encoding", enc)
					if err != nil {
						t.Fatal(err)
					}
					body := r.Body
					if enc == "gzip" {
						body = gunzip(t, r)
					} else if ce := r.Header.Get("Content-Encoding"); ce != "" {
						t.Errorf("%s after %s: Content-Encoding %q", enc, order[0], ce)
					}
					if r.Status != http.StatusCreated || body != `{"ok":true}`+"\n" {
						t.Errorf("%s after %s: %d %q", enc, order[0], r.Status, body)
					}
				}
			}
		})
	}
}

func gunzip(t *testing.T, r adaptertest.Reply) string {
	t.Helper()
	if ce := r.Header.Get("Content-Encoding"); ce != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", ce)
		return r.Body
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(r.Body)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A recorder an earlier middleware started holds the response, first and
// replayed, when that middleware looks after the chain; it stays that
// middleware's while the handler runs, even when the handler records too.
func TestOuterRecorderSeesResponse(t *testing.T) {
	for _, add := range []func(*iris.Application, *idempotency.Middleware, string, iris.Handler){viaServe, viaMiddleware} {
		app := newApp()
		bodies := make(chan string, 2)
		app.Use(func(ctx iris.Context) {
			ctx.Record()
			ctx.Next()
			bodies <- string(ctx.Recorder().Body())
		})
		add(app, newMiddleware(), "/op", func(ctx iris.Context) {
			ctx.Record()
			ctx.StatusCode(http.StatusCreated)
			ctx.JSON(iris.Map{"ok": true})
		})
		url := start(t, app) + "/op"
		first := adaptertest.Post(t, url, "k1", `{}`)
		if first.Status != http.StatusCreated || first.Body != `{"ok":true}`+"\n" {
			t.Fatalf("first = %d %q", first.Status, first.Body)
		}
		adaptertest.CheckReplay(t, first, adaptertest.Post(t, url, "k1", `{}`))
		for i, b := range []string{<-bodies, <-bodies} {
			if b != first.Body {
				t.Errorf("request %d: recorder holds %q, want %q", i, b, first.Body)
			}
		}
	}
}

// Under iris.Compression the handler's ctx.CompressWriter acts on that
// compressor, as it does without Serve: on compresses once, off sends the
// first response uncompressed (a replay is compressed as negotiated).
func TestHandlerCompressWriter(t *testing.T) {
	for _, on := range []bool{true, false} {
		for _, add := range []func(*iris.Application, *idempotency.Middleware, string, iris.Handler){viaServe, viaMiddleware} {
			app := newApp()
			app.Use(iris.Compression)
			add(app, newMiddleware(), "/op", func(ctx iris.Context) {
				if err := ctx.CompressWriter(on); err != nil {
					ctx.StopWithError(http.StatusInternalServerError, err)
					return
				}
				ctx.StatusCode(http.StatusCreated)
				ctx.JSON(iris.Map{"ok": true})
			})
			url := start(t, app) + "/op"
			for i := range 2 {
				r, err := adaptertest.SendJSON(http.MethodPost, url, "k1", `{}`, "Accept-Encoding", "gzip")
				if err != nil {
					t.Fatal(err)
				}
				body := r.Body
				if on || i == 1 {
					body = gunzip(t, r)
				} else if ce := r.Header.Get("Content-Encoding"); ce != "" {
					t.Errorf("CompressWriter(false): Content-Encoding %q", ce)
				}
				if r.Status != http.StatusCreated || body != `{"ok":true}`+"\n" {
					t.Errorf("CompressWriter(%v), request %d: %d %q", on, i, r.Status, body)
				}
				if replayed := r.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true"; replayed != (i == 1) {
					t.Errorf("CompressWriter(%v), request %d: replayed %v", on, i, replayed)
				}
			}
		}
	}
}

// A handler that flushes streams through iris's writer, with a key or
// without; m stores status and headers only, as for any streamed response.
func TestFlushStreams(t *testing.T) {
	for _, mt := range []mount{mounts[0], mounts[1], mounts[3]} {
		t.Run(mt.name, func(t *testing.T) {
			app := newApp()
			mt.use(app)
			proceed := make(chan struct{}, 1)
			mt.add(app, newMiddleware(), "/op", func(ctx iris.Context) {
				ctx.StatusCode(http.StatusCreated)
				if _, ok := ctx.ResponseWriter().Flusher(); !ok {
					ctx.WriteString("cannot flush") // fail rather than wait
					return
				}
				ctx.WriteString("part one,")
				ctx.ResponseWriter().Flush()
				<-proceed // the client has read part one
				ctx.WriteString("part two")
			})
			url := start(t, app) + "/op"
			for _, key := range []string{"", "k1"} {
				req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
				if key != "" {
					req.Header.Set(idempotency.HeaderIdempotencyKey, key)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				part := make([]byte, len("part one,"))
				_, err = io.ReadFull(resp.Body, part)
				proceed <- struct{}{}
				rest, err2 := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || err2 != nil || resp.StatusCode != http.StatusCreated || string(part)+string(rest) != "part one,part two" {
					t.Fatalf("key %q: %d %q %q (%v, %v)", key, resp.StatusCode, part, rest, err, err2)
				}
			}
			again := adaptertest.Post(t, url, "k1", `{}`)
			if again.Status != http.StatusCreated || again.Body != "" || again.Header.Get("Idempotency-Replay") != "omitted" {
				t.Errorf("replay = %d %q %v, want 201, no body, Idempotency-Replay: omitted", again.Status, again.Body, again.Header)
			}
		})
	}
}

// A hijacked connection reaches the client through iris's writer; m
// stores nothing and a retry runs again.
func TestHijackNotStored(t *testing.T) {
	for _, mt := range []mount{mounts[0], mounts[1], mounts[3]} {
		t.Run(mt.name, func(t *testing.T) {
			app := newApp()
			mt.use(app)
			var runs atomic.Int32
			// The client has the hijacked response before m releases the key.
			ended := make(chan idempotency.Outcome, 2)
			m := newMiddleware(idempotency.WithObserver(func(ev idempotency.Event) {
				switch ev.Outcome {
				case idempotency.OutcomeCompleted, idempotency.OutcomeNotStored, idempotency.OutcomeAbandoned:
					ended <- ev.Outcome
				}
			}))
			mt.add(app, m, "/op", func(ctx iris.Context) {
				runs.Add(1)
				hj, ok := ctx.ResponseWriter().(http.Hijacker)
				if !ok {
					ctx.StopWithStatus(http.StatusNotImplemented)
					return
				}
				conn, buf, err := hj.Hijack()
				if err != nil {
					ctx.StopWithError(http.StatusInternalServerError, err)
					return
				}
				defer conn.Close()
				buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
				buf.Flush()
			})
			url := start(t, app) + "/op"
			for i, key := range []string{"k1", "k1", ""} { // "": m runs it unguarded
				r := adaptertest.Post(t, url, key, `{}`)
				if r.Status != http.StatusOK || r.Body != "hijacked" {
					t.Errorf("request %d = %d %q", i, r.Status, r.Body)
				}
				if key == "" {
					continue
				}
				if o := <-ended; o != idempotency.OutcomeNotStored {
					t.Fatalf("request %d ended %v, want %v", i, o, idempotency.OutcomeNotStored)
				}
			}
			if n := runs.Load(); n != 3 {
				t.Errorf("handler ran %d times, want 3", n)
			}
		})
	}
}
