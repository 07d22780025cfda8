package idempotency

import (
	"errors"
	"net/http"
)

// heldWriter is what a transactional operation's handler writes to: the
// whole response, kept until the transaction has committed, since a
// client must not see an answer whose effects may still roll back. It
// does not flush or hijack: a transactional response cannot stream.
type heldWriter struct {
	h      http.Header
	status int
	body   []byte
	max    int64
	over   bool // the handler wrote more than max
}

// errHeldTooLarge is what a transactional handler's write past the held
// response's cap returns.
var errHeldTooLarge = errors.New("idempotency: a transactional operation's response is held until its commit, and this one is larger than WithMaxResponseBody")

func newHeldWriter(max int64) *heldWriter {
	return &heldWriter{h: make(http.Header), max: max}
}

func (w *heldWriter) Header() http.Header { return w.h }

func (w *heldWriter) WriteHeader(code int) {
	if w.status == 0 && (code < 100 || code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
}

func (w *heldWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.over || int64(len(w.body))+int64(len(b)) > w.max {
		w.over = true
		return 0, errHeldTooLarge
	}
	w.body = append(w.body, b...)
	return len(b), nil
}

// send writes the held response to the client.
func (w *heldWriter) send(to http.ResponseWriter) {
	h := to.Header()
	for k, vs := range w.h {
		h[k] = vs
	}
	to.WriteHeader(sentStatus(w.status))
	if len(w.body) > 0 {
		to.Write(w.body)
	}
}

// sentStatus is the status net/http sends for a handler that set none.
func sentStatus(s int) int {
	if s == 0 {
		return http.StatusOK
	}
	return s
}
