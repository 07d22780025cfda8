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
	lp   [binary.MaxVarintLen64]byte
	sum  [sha256.Size]byte
	enc  [43]byte // base64url of sum, unpadded
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
	st.rec.ResponseWriter = nil
	st.rec.header = nil
	st.br = bodyReader{}
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
func (st *reqState) readBody(r *http.Request, limit int64) error {
	st.body = st.body[:0]
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if r.ContentLength > limit {
		return errBodyTooLarge
	}
	want := int64(512)
	if r.ContentLength > 0 {
		want = r.ContentLength + 1 // +1 to see EOF without growing
	}
	if want > limit+1 {
		want = limit + 1
	}
	if int64(cap(st.body)) < want {
		st.body = make([]byte, 0, want)
	}
	for {
		if len(st.body) == cap(st.body) {
			if int64(len(st.body)) > limit {
				return errBodyTooLarge
			}
			next := int64(cap(st.body)) * 2
			if next > limit+1 {
				next = limit + 1
			}
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

// writePart feeds one length-prefixed part to the hasher. The prefix makes
// the encoding injective: ("ab","c") and ("a","bc") hash differently.
func (st *reqState) writePart(s string) {
	n := binary.PutUvarint(st.lp[:], uint64(len(s)))
	st.h.Write(st.lp[:n])
	io.WriteString(st.h, s)
}

func (st *reqState) writeBytes(b []byte) {
	n := binary.PutUvarint(st.lp[:], uint64(len(b)))
	st.h.Write(st.lp[:n])
	st.h.Write(b)
}

// digest finishes the hash as a 43-character base64url string.
func (st *reqState) digest() string {
	sum := st.h.Sum(st.sum[:0])
	base64.RawURLEncoding.Encode(st.enc[:], sum)
	return string(st.enc[:])
}

// fingerprint identifies the request a key was first used for: method,
// operation, escaped path (path parameters are not in the route), raw
// query and body. A retry must match it exactly to be replayed.
func (st *reqState) fingerprint(r *http.Request, route string) string {
	st.h.Reset()
	st.writePart("fp1")
	st.writePart(r.Method)
	st.writePart(route)
	st.writePart(r.URL.EscapedPath())
	st.writePart(r.URL.RawQuery)
	st.writeBytes(st.body)
	return st.digest()
}

// storeKey derives the key the store sees from the operation, the caller's
// scope and the client's key. It is a hash: bounded (43 bytes), collision
// safe, and it never puts a scope value (an Authorization header, say) into
// the store in the clear.
func (st *reqState) storeKey(m *Middleware, r *http.Request, key string) string {
	st.h.Reset()
	st.writePart("key1")
	if m.cfg.route != "" {
		st.writePart(m.cfg.route)
	} else {
		// "METHOD /path" without building the string.
		n := binary.PutUvarint(st.lp[:], uint64(len(r.Method)+1+len(r.URL.Path)))
		st.h.Write(st.lp[:n])
		io.WriteString(st.h, r.Method)
		st.h.Write(space)
		io.WriteString(st.h, r.URL.Path)
	}
	if m.cfg.scope != nil {
		st.writePart("scope")
		st.writePart(m.cfg.scope(r))
	}
	for _, name := range m.cfg.scopeHeaders {
		vs := r.Header[name]
		st.writePart(name)
		n := binary.PutUvarint(st.lp[:], uint64(len(vs)))
		st.h.Write(st.lp[:n])
		for _, v := range vs {
			st.writePart(v)
		}
	}
	st.writePart(key)
	return st.digest()
}

var space = []byte{' '}

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
