package idemiris_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/idemgen/idemgen/runtime/idemiris"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
	"github.com/kataras/iris/v12"
)

// after is what a middleware in front of the route saw once the chain had
// run.
type after struct {
	stopped bool
	status  int
}

// CheckKey refuses a key the middleware would refuse before the handler
// runs, stopping iris's chain without iris answering in its place, and
// lets every other request through on every try: it claims nothing, so a
// retried key runs the handler again. It writes through whatever writer
// iris hands the route: plain, recording or compressing.
func TestCheckKey(t *testing.T) {
	for _, w := range []struct {
		name string
		use  []iris.Handler
	}{
		{"Plain", nil},
		{"Record", []iris.Handler{record}},
		{"Compression", []iris.Handler{iris.Compression}},
		{"Compression+Record", []iris.Handler{iris.Compression, record}},
	} {
		t.Run(w.name, func(t *testing.T) {
			var n atomic.Int32
			outer := make(chan after, 1)
			app := newApp()
			app.Use(func(ctx iris.Context) {
				ctx.Next()
				outer <- after{ctx.IsStopped(), ctx.GetStatusCode()}
			})
			app.Use(w.use...)
			h := func(ctx iris.Context) {
				n.Add(1)
				ctx.StatusCode(http.StatusCreated)
				ctx.JSON(iris.Map{"run": n.Load()})
			}
			app.Post("/required", idemiris.CheckKey(newMiddleware(idempotency.WithKeyRequired(true))), h)
			app.Post("/optional", idemiris.CheckKey(newMiddleware()), h)
			base := start(t, app)

			key := idempotency.HeaderIdempotencyKey
			for _, step := range []struct {
				name, path string
				header     []string
				status     int
				code       string // the problem's, if refused
				runs       int32  // the handler's runs so far
			}{
				{"missing", "/required", nil, http.StatusBadRequest, idempotency.CodeKeyMissing, 0},
				{"repeated", "/required", []string{key, "k1", key, "k1"}, http.StatusBadRequest, idempotency.CodeKeyInvalid, 0},
				{"valid", "/required", []string{key, "k1"}, http.StatusCreated, "", 1},
				{"retried", "/required", []string{key, "k1"}, http.StatusCreated, "", 2},
				{"optional absent", "/optional", nil, http.StatusCreated, "", 3},
			} {
				got, err := adaptertest.Send(nil, http.MethodPost, base+step.path, "", `{}`, step.header...)
				if err != nil {
					t.Fatalf("%s: %v", step.name, err)
				}
				if step.code != "" {
					adaptertest.CheckProblem(t, got, step.status, step.code)
				} else if got.Status != step.status {
					t.Fatalf("%s: got %d %q, want %d", step.name, got.Status, got.Body, step.status)
				}
				if runs := n.Load(); runs != step.runs {
					t.Errorf("%s: handler ran %d times, want %d", step.name, runs, step.runs)
				}
				if s, want := <-outer, (after{step.code != "", step.status}); s != want {
					t.Errorf("%s: outer middleware saw %+v, want %+v", step.name, s, want)
				}
			}
		})
	}
}
