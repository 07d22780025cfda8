package idemfiber3_test

import (
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"

	"github.com/idemgen/idemgen/runtime/idemfiber3"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// BenchmarkServeReplay is the replay path through Serve, fiber's router
// included, driven by a fasthttp.RequestCtx without a connection.
func BenchmarkServeReplay(b *testing.B) {
	var n atomic.Int32
	m := routeMW("/orders")
	h := created(&n)
	app := newApp()
	app.Post("/orders", func(c fiber.Ctx) error { return idemfiber3.Serve(m, c, h) })
	handler := app.Handler()

	var req fasthttp.Request
	req.Header.SetMethod(fiber.MethodPost)
	req.SetRequestURI("/orders")
	req.Header.SetHost("api.example.com")
	req.Header.SetContentType(fiber.MIMEApplicationJSON)
	req.Header.Set("Idempotency-Key", "order-42")
	req.Header.Set("User-Agent", "bench")
	req.SetBodyString(order)
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)

	handler(&ctx) // the first request runs the handler and stores
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		handler(&ctx)
	}
	if ctx.Response.StatusCode() != 201 || string(ctx.Response.Header.Peek(idempotency.HeaderIdempotencyReplayed)) != "true" ||
		string(ctx.Response.Body()) != `{"run":1}` || n.Load() != 1 {
		b.Fatalf("not a replay: %d %q, %d runs", ctx.Response.StatusCode(), ctx.Response.Body(), n.Load())
	}
}
