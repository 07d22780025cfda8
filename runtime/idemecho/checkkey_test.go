package idemecho_test

import (
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/idemgen/idemgen/runtime/idemecho"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/adaptertest"
	"github.com/labstack/echo/v4"
)

// CheckKey refuses a key the middleware would refuse before the handler
// runs, leaving echo's response committed so that nothing answers twice,
// and lets every other request through on every try: it claims nothing,
// so a retried key runs the handler again.
func TestCheckKey(t *testing.T) {
	var n atomic.Int32
	outer := make(chan seen, 1)
	e := echo.New()
	e.Use(observe(outer))
	e.POST("/required", created(&n), idemecho.CheckKey(newMiddleware(idempotency.WithKeyRequired(true))))
	e.POST("/optional", created(&n), idemecho.CheckKey(newMiddleware()))
	base := start(t, e)

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
		if s := <-outer; s.status != step.status || !s.committed || s.failed {
			t.Errorf("%s: outer middleware saw %+v, want status %d committed, no error", step.name, s, step.status)
		}
	}
}
