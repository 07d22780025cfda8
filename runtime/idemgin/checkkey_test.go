package idemgin_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/idemgen/idemgen/runtime/idemgin"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
)

// after is what a middleware in front of the route saw once the chain had
// run.
type after struct {
	aborted bool
	status  int
}

// CheckKey refuses a key the middleware would refuse before the handler
// runs, aborting gin's chain, and lets every other request through on
// every try: it claims nothing, so a retried key runs the handler again.
func TestCheckKey(t *testing.T) {
	var n atomic.Int32
	seen := make(chan after, 1)
	r := newEngine()
	r.Use(func(c *gin.Context) {
		c.Next()
		seen <- after{c.IsAborted(), c.Writer.Status()}
	})
	r.POST("/required", idemgin.CheckKey(newMiddleware(idempotency.WithKeyRequired(true))), created(&n))
	r.POST("/optional", idemgin.CheckKey(newMiddleware()), created(&n))
	base := start(t, r)

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
		if s, want := <-seen, (after{step.code != "", step.status}); s != want {
			t.Errorf("%s: outer middleware saw %+v, want %+v", step.name, s, want)
		}
	}
}
