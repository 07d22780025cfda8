// Package headercodec is the byte encoding the SQL stores (pgstore,
// mysqlstore) keep a record's headers in: one home for a format both
// stores' rows share.
package headercodec

import (
	"encoding/binary"
	"errors"
	"net/http"
	"slices"
)

// Headers are stored in a small length-prefixed encoding rather than as
// JSON: header values may hold any byte, which a JSON column (jsonb
// cannot store \u0000) would reject or rewrite, and every value of a
// repeated header (Set-Cookie) must survive in order. The encoding, with
// every integer an unsigned varint:
//
//	count, then per header (names sorted): len(name) name count {len(value) value}
//
// A nil header is stored as NULL; an empty one as the single byte 0.

// Encode returns h in the encoding; nil for a nil header.
func Encode(h http.Header) []byte {
	if h == nil {
		return nil
	}
	size := binary.MaxVarintLen64
	for name, values := range h {
		size += 2*binary.MaxVarintLen64 + len(name)
		for _, v := range values {
			size += binary.MaxVarintLen64 + len(v)
		}
	}
	b := make([]byte, 0, size)
	b = binary.AppendUvarint(b, uint64(len(h)))
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		b = appendString(b, name)
		b = binary.AppendUvarint(b, uint64(len(h[name])))
		for _, v := range h[name] {
			b = appendString(b, v)
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// ErrCorrupt is what Decode returns for bytes Encode did not write.
var ErrCorrupt = errors.New("corrupt header encoding")

// Decode reverses Encode; bytes Encode did not write give ErrCorrupt.
func Decode(b []byte) (http.Header, error) {
	if b == nil {
		return nil, nil
	}
	d := decoder{b: b}
	n := d.count()
	h := make(http.Header, min(n, uint64(len(b))))
	for i := uint64(0); i < n && d.err == nil; i++ {
		name := d.string()
		nv := d.count()
		values := make([]string, 0, min(nv, uint64(len(d.b))))
		for j := uint64(0); j < nv && d.err == nil; j++ {
			values = append(values, d.string())
		}
		h[name] = values
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = ErrCorrupt
	}
	if d.err != nil {
		return nil, d.err
	}
	return h, nil
}

// decoder reads the encoding; the first error sticks and later reads
// return zero values, so callers check once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) count() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = ErrCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	l := d.count()
	if d.err != nil {
		return ""
	}
	if l > uint64(len(d.b)) {
		d.err = ErrCorrupt
		return ""
	}
	s := string(d.b[:l])
	d.b = d.b[l:]
	return s
}
