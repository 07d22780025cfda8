package idemiris_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idemiris"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/kataras/iris/v12"
)

// mount is one way of putting a handler behind the adapter: the call the
// generated code makes or the middleware, with the writer iris hands it
// plain, recording (ctx.Record(), as accesslog's body dump does) or
// compressing.
type mount struct {
	name string
	use  func(app *iris.Application) // middlewares that change the writer
	add  func(app *iris.Application, m *idempotency.Middleware, path string, h iris.Handler)
}

func viaServe(app *iris.Application, m *idempotency.Middleware, path string, h iris.Handler) {
	app.Post(path, func(ctx iris.Context) { idemiris.Serve(m, ctx, h) })
}

func viaMiddleware(app *iris.Application, m *idempotency.Middleware, path string, h iris.Handler) {
	app.Post(path, idemiris.Middleware(m), h)
}

func record(ctx iris.Context) { ctx.Record(); ctx.Next() }

var mounts = []mount{
	{"Serve", func(*iris.Application) {}, viaServe},
	{"Middleware", func(*iris.Application) {}, viaMiddleware},
	{"Serve/Record", func(app *iris.Application) { app.Use(record) }, viaServe},
	{"Serve/Compression", func(app *iris.Application) { app.Use(iris.Compression) }, viaServe},
	{"Middleware/Compression+Record", func(app *iris.Application) { app.Use(iris.Compression, record) }, viaMiddleware},
}

// eachMount runs f once per mount, with a fresh app that has the mount's
// middlewares.
func eachMount(t *testing.T, f func(t *testing.T, app *iris.Application, mt mount)) {
	for _, mt := range mounts {
		t.Run(mt.name, func(t *testing.T) {
			app := newApp()
			mt.use(app)
			f(t, app, mt)
		})
	}
}

func newApp() *iris.Application {
	app := iris.New()
	app.Logger().SetLevel("disable")
	return app
}

func newMiddleware(opts ...idempotency.Option) *idempotency.Middleware {
	return idempotency.New(idempotency.NewMemoryStore(time.Hour), opts...)
}

// start serves app on a real listener on 127.0.0.1.
func start(t *testing.T, app *iris.Application) string {
	t.Helper()
	if err := app.Build(); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return srv.URL
}

type reply struct {
	status int
	header http.Header
	body   string
}

// send makes one request; a non-empty encoding is sent as Accept-Encoding
// and then the body is returned as it came, not decompressed.
func send(method, url, key, body, encoding string) (reply, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	if encoding != "" {
		req.Header.Set("Accept-Encoding", encoding)
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
	r, err := send(http.MethodPost, url, key, body, "")
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
		t.Error("first response is marked as a replay")
	}
}

// checkProblem asserts a problem+json answer with this status and code.
func checkProblem(t *testing.T, r reply, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %q)", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q, want application/problem+json", ct)
	}
	var p struct{ Code string }
	if err := json.Unmarshal([]byte(r.body), &p); err != nil || p.Code != code {
		t.Errorf("problem code = %q (%v), want %q; body %q", p.Code, err, code, r.body)
	}
}
