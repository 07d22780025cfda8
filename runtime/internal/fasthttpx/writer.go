package fasthttpx

import (
	"net/http"

	"github.com/valyala/fasthttp"
)

// writer is the http.ResponseWriter the core answers through: fasthttp's
// buffered response, reached through an http.Header map.
//
// In mirror mode the response is already in fasthttp (the handler wrote
// it, and Record is handing it to the core's recorder), so WriteHeader and
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

// Writer returns the http.ResponseWriter the core answers through (a
// replay, a problem), into resp: headers and status go into resp when the
// core writes the header, the body is appended to resp's buffered body, and
// fasthttp sends it all after the handler returns.
func (x *Exchange) Writer(resp *fasthttp.Response) http.ResponseWriter {
	x.w.resp = resp
	return &x.w
}

// Recording reports whether w, the writer the core passes to its next, is
// the core's recorder rather than x's own writer: only then must the
// response the handler leaves in fasthttp be handed to it with Record.
func (x *Exchange) Recording(w http.ResponseWriter) bool {
	return w != http.ResponseWriter(&x.w)
}

// Record hands the response the handler left in resp to the core's
// recorder w, as a net/http handler would write it: status and headers,
// then the body. w writes into the same fasthttp response, so the writer
// mirrors (see writer). A body stream is left to fasthttp, unread: only
// status and headers are recorded, and the flush tells the core so.
// noDefaultContentType is the app's setting that keeps fasthttp from
// sending its default Content-Type.
func (x *Exchange) Record(w http.ResponseWriter, resp *fasthttp.Response, noDefaultContentType bool) {
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
	typed := !bodyless && (stream || len(body) > 0) || explicitType(resp, noDefaultContentType)

	x.buf = x.buf[:0]
	x.ends = x.ends[:0]
	resp.Header.VisitAll(func(k, v []byte) {
		switch string(k) {
		case fasthttp.HeaderContentLength:
			return // fasthttp sets it from the body it sends
		case fasthttp.HeaderContentType:
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

// explicitType reports whether the handler set resp's Content-Type (rather
// than fasthttp's default standing in for it). It restores the app's
// setting, noDefault, which fasthttp reads when it writes the response.
func explicitType(resp *fasthttp.Response, noDefault bool) bool {
	h := &resp.Header
	h.SetNoDefaultContentType(true)
	set := len(h.ContentType()) > 0
	h.SetNoDefaultContentType(noDefault)
	return set
}
