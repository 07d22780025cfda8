package idemfiber3_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v3"

	"github.com/idemgen/idemgen/runtime/idemfiber3"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
)

// CheckKey refuses a key the middleware would refuse before the handler
// runs, in fiber's own response, where a middleware in front of the route
// finds it, and lets every other request through on every try: it claims
// nothing, so a retried key runs the handler again.
func TestCheckKey(t *testing.T) {
	var n atomic.Int32
	outer := make(chan int, 1) // the status a middleware in front saw after
	app := newApp()
	app.Use(func(c fiber.Ctx) error {
		err := c.Next()
		outer <- c.Response().StatusCode()
		return err
	})
	app.Post("/required", idemfiber3.CheckKey(routeMW("/required", idempotency.WithKeyRequired(true))), created(&n))
	app.Post("/optional", idemfiber3.CheckKey(routeMW("/optional")), created(&n))
	s := start(t, app)

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
		got := s.post(step.path, "", order, step.header...)
		if step.code != "" {
			adaptertest.CheckProblem(t, got, step.status, step.code)
		} else if got.Status != step.status {
			t.Fatalf("%s: got %d %q, want %d", step.name, got.Status, got.Body, step.status)
		}
		if runs := n.Load(); runs != step.runs {
			t.Errorf("%s: handler ran %d times, want %d", step.name, runs, step.runs)
		}
		if status := <-outer; status != step.status {
			t.Errorf("%s: outer middleware saw status %d, want %d", step.name, status, step.status)
		}
	}
}
