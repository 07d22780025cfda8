package idemfiber3

import (
	"net/http"

	"github.com/gofiber/fiber/v3"
	"github.com/valyala/fasthttp"
)

// writer is the http.ResponseWriter the core answers through: fasthttp's
// buffered response, reached through an http.Header map.
//
// In mirror mode the response is already in fasthttp (the handler wrote
// it, and record is handing it to the core's recorder), so WriteHeader and
// Write only let the recorder see it: nothing is written twice.
type writer struct {
	resp   *fasthttp.Response
	h      http.Header
	vals   []string // the values' backing array of a mirrored header
	wrote  bool
	mirror bool
}

func (w *writer) reset() {
	w.resp = nil
	clear(w.h) // drop the record's or the response's strings
	clear(w.vals)
	w.vals = w.vals[:0]
	w.wrote, w.mirror = false, false
}

// Header returns the map the core sets its headers in.
func (w *writer) Header() http.Header {
	if w.h == nil {
		w.h = make(http.Header, 8)
	}
	return w.h
}

// WriteHeader copies the header map into fasthttp's response and sets the
// status. A key in the map replaces the response's values for that key, as
// an assignment to an http.Header does: an earlier middleware's header is
// overwritten, not doubled. The body is reset: the core's answer (a
// replay, a problem) is the whole body.
func (w *writer) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.mirror {
		return
	}
	w.resp.ResetBody()
	rh := &w.resp.Header
	for k, vs := range w.h {
		rh.Del(k)
		for _, v := range vs {
			rh.Add(k, v)
		}
	}
	w.resp.SetStatusCode(code)
}

// Write appends b to fasthttp's response body.
func (w *writer) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if !w.mirror {
		w.resp.AppendBody(b)
	}
	return len(b), nil
}

// Flush does nothing, and there is nothing to report: fasthttp sends the
// buffered response after the handler returns. It makes the writer an
// http.Flusher, so that the recorder's flush (of a body stream) succeeds.
func (*writer) Flush() {}

// record hands the response the handler left in fasthttp to the core's
// recorder w, as a net/http handler would write it: status and headers,
// then the body. w writes into the same fasthttp response, so the writer
// mirrors (see writer). A body stream is left to fasthttp, unread: only
// status and headers are recorded, and the flush tells the core so.
func (x *exchange) record(w http.ResponseWriter) {
	resp := x.c.Response()
	status := resp.StatusCode()
	stream := resp.IsBodyStream()
	var body []byte
	if !stream {
		body = resp.Body() // Body would drain a stream
	}
	// fasthttp sends no body for these, whatever the handler left (fiber's
	// SendStatus(204) leaves "No Content").
	bodyless := status < 200 || status == http.StatusNoContent || status == http.StatusNotModified
	// fasthttp sends its default Content-Type only with a body; record it
	// only when it is sent.
	typed := !bodyless && (stream || len(body) > 0) || explicitType(x.c)

	x.buf = x.buf[:0]
	x.ends = x.ends[:0]
	resp.Header.VisitAll(func(k, v []byte) {
		switch string(k) {
		case fiber.HeaderContentLength:
			return // fasthttp sets it from the body it sends
		case fiber.HeaderContentType:
			if !typed {
				return
			}
		}
		x.appendHeader(k, v)
	})
	x.w.mirror = true
	x.w.h = fillHeader(x.w.h, &x.w.vals, string(x.buf), 0, x.ends)

	w.WriteHeader(status)
	switch {
	case stream:
		_ = http.NewResponseController(w).Flush()
	case !bodyless && len(body) > 0:
		_, _ = w.Write(body)
	}
}

// explicitType reports whether the handler set the response's Content-Type
// (rather than fasthttp's default standing in for it).
func explicitType(c fiber.Ctx) bool {
	h := &c.Response().Header
	h.SetNoDefaultContentType(true)
	set := len(h.ContentType()) > 0
	h.SetNoDefaultContentType(c.App().Config().DisableDefaultContentType)
	return set
}
