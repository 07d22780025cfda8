package idempotency

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"net/http"
	"sync"
)

// reqState is the per-request scratch of the middleware, pooled so the hot
// paths allocate little: the recorder, the hasher and the body buffer.
type reqState struct {
	rec  ResponseRecorder
	h    hash.Hash
	body []byte
	br   bodyReader
	rn   renewer
	dctx detachedCtx // the claim's store context (see Middleware.claim)
	// scratch holds the hash input but the body; it grows to the largest
	// seen (bounded by key, route and scope sizes).
	scratch []byte
	sum     [sha256.Size]byte
	enc     [2 * digestLen]byte // base64url of the fingerprint, then of the store key
	// The body parsed as JSON and its canonical form, for the fingerprint
	// rules and a key taken from the body; parsed is reset per request.
	doc    jsonDoc
	parsed bool
	docOK  bool
	canon  []byte
}

// maxPooledBuf keeps one large request or response from pinning its buffer
// in the pool for good.
const maxPooledBuf = 64 << 10

var statePool = sync.Pool{New: func() any { return &reqState{h: sha256.New()} }}

func getState() *reqState { return statePool.Get().(*reqState) }

func putState(st *reqState) {
	if cap(st.body) > maxPooledBuf {
		st.body = nil
	}
	if cap(st.rec.body) > maxPooledBuf {
		st.rec.body = nil
	}
	if cap(st.scratch) > maxPooledBuf {
		st.scratch = nil
	}
	if st.parsed {
		st.parsed = false
		st.doc.release()
		if cap(st.canon) > maxPooledBuf {
			st.canon = nil
		}
	}
	st.rec.ResponseWriter = nil
	st.rec.header = nil
	st.br = bodyReader{}
	st.dctx = detachedCtx{}
	statePool.Put(st)
}

var (
	errBodyTooLarge = errors.New("idempotency: request body over the configured limit")
	errBodyRead     = errors.New("idempotency: request body could not be read")
)

// readBody buffers the request body, at most limit bytes, into st.body. A
// declared Content-Length over the limit is refused before reading; an
// undeclared one is refused after limit+1 bytes, so a 100 MB upload costs
// one limit's worth of memory.
//
// The buffer grows with what has arrived, never ahead of it to the declared
// length: a client that declares a megabyte and sends a byte holds a few
// KiB, not a megabyte, until ReadTimeout ends it.
func (st *reqState) readBody(r *http.Request, limit int64) error {
	st.body = st.body[:0]
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength > limit {
		return errBodyTooLarge
	}
	first := int64(firstBodyBuf)
	if r.ContentLength < 0 {
		first = 512 // chunked: usually small
	}
	if first = min(first, bodyCeil(r.ContentLength, 0, limit)); int64(cap(st.body)) < first {
		st.body = make([]byte, 0, first)
	}
	for {
		if len(st.body) == cap(st.body) {
			if int64(len(st.body)) > limit {
				return errBodyTooLarge
			}
			next := min(2*int64(cap(st.body)), bodyCeil(r.ContentLength, len(st.body), limit))
			grown := make([]byte, len(st.body), next)
			copy(grown, st.body)
			st.body = grown
		}
		n, err := r.Body.Read(st.body[len(st.body):cap(st.body)])
		st.body = st.body[:len(st.body)+n]
		if int64(len(st.body)) > limit {
			return errBodyTooLarge
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errBodyRead
		}
	}
}

// firstBodyBuf is the first buffer for a body with a declared length (or
// the whole body, if shorter): net/http's own read buffer is as large.
const firstBodyBuf = 4 << 10

// bodyCeil is the most the body buffer may hold once have bytes are in:
// limit+1, to see one byte too many; and while the body is within its
// declared length cl, cl+1, to see EOF without growing. It is always over
// have (have <= limit), so a full buffer always grows.
func bodyCeil(cl int64, have int, limit int64) int64 {
	if cl > 0 && int64(have) <= cl {
		return min(cl+1, limit+1)
	}
	return limit + 1
}

// appendPart appends one length-prefixed part to the hash input. The
// prefix makes the encoding injective: ("ab","c") and ("a","bc") differ.
func appendPart(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// digestBytes of SHA-256 (192 bits) are kept: collisions stay out of reach
// and the strings stay short.
const (
	digestBytes = 24
	digestLen   = digestBytes / 3 * 4
)

// digest hashes st.scratch, then extra, into dst as 32 base64url
// characters. Everything goes through Write([]byte): the hasher has no
// WriteString, so io.WriteString would allocate a copy of each part.
func (st *reqState) digest(dst []byte, extra []byte) {
	st.h.Reset()
	st.h.Write(st.scratch)
	if len(extra) > 0 {
		st.h.Write(extra)
	}
	sum := st.h.Sum(st.sum[:0])
	base64.RawURLEncoding.Encode(dst, sum[:digestBytes])
}

// fingerprint identifies the request a key was first used for: method,
// operation, escaped path (path parameters are not in the route), raw
// query and body. A retry must match it exactly to be replayed.
func (st *reqState) fingerprint(r *http.Request, route string) {
	b := appendPart(st.scratch[:0], "fp1")
	b = appendPart(b, r.Method)
	b = appendPart(b, route)
	b = appendPart(b, r.URL.EscapedPath())
	b = appendPart(b, r.URL.RawQuery)
	st.scratch = binary.AppendUvarint(b, uint64(len(st.body)))
	st.digest(st.enc[:digestLen], st.body)
}

// identify returns the request's fingerprint and store key, both cut from
// one string so that they cost one allocation.
func (st *reqState) identify(m *Middleware, r *http.Request, key string) (fp, sk string) {
	if m.cfg.fp.on {
		st.fingerprintRules(r, m.cfg.route, &m.cfg.fp)
	} else {
		st.fingerprint(r, m.cfg.route)
	}
	st.storeKey(m, r, key)
	both := string(st.enc[:])
	return both[:digestLen], both[digestLen:]
}

// storeKey derives the key the store sees from the operation, the caller's
// scope and the client's key. It is a hash: bounded (32 bytes), collision
// safe, and it never puts a scope value (an Authorization header, say) into
// the store in the clear.
func (st *reqState) storeKey(m *Middleware, r *http.Request, key string) {
	b := appendPart(st.scratch[:0], "key1")
	if m.cfg.route != "" {
		b = appendPart(b, m.cfg.route)
	} else {
		// "METHOD /path" without building the string.
		b = binary.AppendUvarint(b, uint64(len(r.Method)+1+len(r.URL.Path)))
		b = append(b, r.Method...)
		b = append(b, ' ')
		b = append(b, r.URL.Path...)
	}
	if m.cfg.scope != nil {
		b = appendPart(b, "scope")
		b = appendPart(b, m.cfg.scope(r))
	}
	for _, name := range m.cfg.scopeHeaders {
		vs := r.Header[name]
		b = appendPart(b, name)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendPart(b, v)
		}
	}
	st.scratch = appendPart(b, key)
	st.digest(st.enc[digestLen:], nil)
}

// bodyReader gives the handler the buffered body back.
type bodyReader struct {
	b   []byte
	off int
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.off >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.off:])
	b.off += n
	return n, nil
}

func (b *bodyReader) Close() error { return nil }

// WriteTo lets io.Copy and io.ReadAll skip an intermediate buffer.
func (b *bodyReader) WriteTo(w io.Writer) (int64, error) {
	if b.off >= len(b.b) {
		return 0, nil
	}
	n, err := w.Write(b.b[b.off:])
	b.off += n
	return int64(n), err
}
