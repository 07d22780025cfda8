package fasthttpx

import (
	"net/http"
	"net/url"
)

// Exchange is the fasthttp side of one request's passage through the core:
// the request view the core reads and the writer it answers through. It is
// meant to be embedded in an adapter's pooled exchange, so the hot paths
// reuse its maps and buffers; its zero value is ready to use.
type Exchange struct {
	w    writer
	u    url.URL
	body bodyReader
	hdr  http.Header // request headers
	vals []string    // their values' backing array
	buf  []byte      // scratch: the bytes of a string being built
	ends []int       // scratch: where each header key and value ends in buf
}

// maxPooledBuf keeps one large request from pinning its buffer in the pool.
const maxPooledBuf = 64 << 10

// Reset drops what x holds of the request and the response (their strings,
// the fasthttp response), so that x can go back to a pool.
func (x *Exchange) Reset() {
	x.w.reset()
	x.body.Reset(nil)
	clear(x.hdr)
	clear(x.vals) // drop the request's strings
	x.vals = x.vals[:0]
	if cap(x.buf) > maxPooledBuf {
		x.buf = nil
	}
}
