package idemiris_test

import (
	"net/http/httptest"
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
