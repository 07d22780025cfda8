package idempotency

import (
	"encoding/binary"
	"net/http"
	"time"
	"unsafe"
)

// The bytes of one entry in its shard's slab, after the slab's own header:
//
//	key, fingerprint          each a uvarint length and the bytes
//
// and, once completed:
//
//	fields                    uvarint, the header's field count plus one
//	                          (0 for a nil Header)
//	each field                fieldInline and the field's encodeField
//	                          form, or fieldInterned and a uvarint number
//	                          in the shard's headerTable
//	body                      the rest
//
// Status, times and flags live in the entry's meta, beside its place.

func appendUvarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// bytesOrString is a key or fingerprint, from a caller (a string) or from
// the slab (bytes).
type bytesOrString interface{ ~string | ~[]byte }

func appendString[S bytesOrString](b []byte, s S) []byte {
	return append(appendUvarint(b, uint64(len(s))), s...)
}

func uvarintLen(v int) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// readBytes splits off one length-prefixed string.
func readBytes(b []byte) (s, rest []byte) {
	n, k := binary.Uvarint(b)
	b = b[k:]
	return b[:n:n], b[n:]
}

// encodeHeader appends h's header section to b, referring to the fields
// the shard has interned.
func (sh *shard) encodeHeader(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, 0)
	}
	b = appendUvarint(b, uint64(len(h))+1)
	if len(h) > 0 && sh.hdr == nil {
		sh.hdr = newHeaderTable()
	}
	for name, vs := range h {
		sh.field = encodeField(sh.field[:0], name, vs)
		if id, ok := sh.hdr.lookup(sh.field, name, vs); ok {
			b = appendUvarint(append(b, fieldInterned), uint64(id))
		} else {
			b = append(append(b, fieldInline), sh.field...)
		}
	}
	return b
}

// recordLen is the slab bytes an entry of these parts takes.
func recordLen[K, F bytesOrString](key K, fp F, section, body []byte) int {
	return recHeader + uvarintLen(len(key)) + len(key) + uvarintLen(len(fp)) + len(fp) + len(section) + len(body)
}

// writeRecord stores key, fp, and for a completed record its header
// section and body, in the slab for m's state, for entry id, and points m
// there.
func writeRecord[K, F bytesOrString](sh *shard, id uint32, m *meta, key K, fp F, section, body []byte) {
	sh.forget(id)
	n := recordLen(key, fp, section, body)
	c, off, dst := sh.slabFor(m.state).alloc(id, n)
	dst = appendString(dst[:0], key)
	dst = appendString(dst, fp)
	dst = append(dst, section...)
	_ = append(dst, body...)
	m.chunk, m.off, m.n = c, off, uint32(n)
}

// data returns the bytes of m's record after the slab header.
func (sh *shard) data(m *meta) []byte { return sh.slabFor(m.state).bytes(m.chunk, m.off, m.n) }

// keyOf returns m's key as it sits in the slab: valid until the shard's
// next write.
func (sh *shard) keyOf(m *meta) []byte {
	k, _ := readBytes(sh.data(m))
	return k
}

// fpOf returns m's fingerprint as it sits in the slab.
func (sh *shard) fpOf(m *meta) []byte {
	_, b := readBytes(sh.data(m))
	fp, _ := readBytes(b)
	return fp
}

// headerDecoder reads a record's header section in three passes over the
// same bytes: one to size what decoding allocates, one to copy every name
// and value into one buffer, one to slice the buffer's strings into a
// Header, sharing the interned fields' value slices.
type headerDecoder struct {
	pass                     int    // sizePass, copyPass or buildPass
	strBytes, values, inline int    // sizePass's counts
	buf                      []byte // copyPass's output

	h      http.Header
	t      *headerTable
	s      string // the copied strings, consumed from the front
	vals   []string
	cur    string // the field being filled
	left   int    // its values still to come
	fields int
	isNil  bool
}

const (
	sizePass = iota
	copyPass
	buildPass
)

// walk reads the header section at the start of b and returns what
// follows it, the body.
func (d *headerDecoder) walk(b []byte) []byte {
	nf, k := binary.Uvarint(b)
	b = b[k:]
	d.isNil, d.fields = nf == 0, max(0, int(nf)-1)
	for range d.fields {
		tag := b[0]
		b = b[1:]
		if tag == fieldInterned {
			id, k := binary.Uvarint(b)
			b = b[k:]
			if d.pass == buildPass {
				f := &d.t.fields[id]
				d.h[f.name] = f.values
			}
			continue
		}
		name, rest := readBytes(b)
		cnt, k := binary.Uvarint(rest)
		rest = rest[k:]
		d.name(name, int(cnt))
		for range cnt {
			var val []byte
			val, rest = readBytes(rest)
			d.value(val)
		}
		b = rest
	}
	return b
}

func (d *headerDecoder) name(n []byte, values int) {
	switch d.pass {
	case sizePass:
		d.strBytes += len(n)
		d.values += values
		d.inline++
	case copyPass:
		d.buf = append(d.buf, n...)
	default:
		d.cur, d.s = d.s[:len(n)], d.s[len(n):]
		d.left = values
		if values == 0 {
			d.h[d.cur] = nil
		}
	}
}

func (d *headerDecoder) value(v []byte) {
	switch d.pass {
	case sizePass:
		d.strBytes += len(v)
	case copyPass:
		d.buf = append(d.buf, v...)
	default:
		d.vals = append(d.vals, d.s[:len(v)])
		d.s = d.s[len(v):]
		if d.left--; d.left == 0 {
			vs := d.vals
			d.h[d.cur] = vs[:len(vs):len(vs)]
			d.vals = vs[len(vs):]
		}
	}
}

// recordBox allocates a Record together with room for the values of the
// header fields it does not share, which are few.
type recordBox struct {
	rec  Record
	vals [4]string
}

// decode builds a Record from m's bytes, sharing nothing with the slab.
// It allocates the Record (with a few header values), one buffer holding
// the fingerprint, every header string and, after them, the body, and the
// Header map, unless every field is interned: then the Record shares one
// Header, never modified, with the shard's other records of the same
// fields. The strings are read-only views of the buffer's front, which
// nothing writes once decode returns; Body is clipped to the back, so
// even a careless append to it cannot reach them.
func (sh *shard) decode(m *meta) *Record {
	_, b := readBytes(sh.data(m))
	fp, b := readBytes(b)
	d := headerDecoder{t: sh.hdr}
	body := d.walk(b)
	section := b[:len(b)-len(body)]
	strLen := len(fp) + d.strBytes
	var s string
	if total := strLen + len(body); total > 0 {
		d.buf = append(make([]byte, 0, total), fp...)
		d.pass = copyPass
		d.walk(b)
		s = unsafe.String(unsafe.SliceData(d.buf), strLen)
		d.buf = append(d.buf, body...)
	}
	box := &recordBox{rec: Record{
		Fingerprint: s[:len(fp)],
		Status:      int(m.status),
		BodyOmitted: m.omitted,
		CreatedAt:   time.Unix(0, m.aux),
		ExpiresAt:   time.Unix(0, m.deadline),
	}}
	rec := &box.rec
	switch {
	case d.isNil:
	case d.fields == 0:
		rec.Header = http.Header{}
	case d.inline == 0:
		rec.Header = sh.hdr.sharedHeader(section, d.fields)
	default:
		d.pass, d.s, d.h = buildPass, s[len(fp):], make(http.Header, d.fields)
		if d.values <= len(box.vals) {
			d.vals = box.vals[:0:d.values]
		} else {
			d.vals = make([]string, 0, d.values)
		}
		d.walk(b)
		rec.Header = d.h
	}
	if len(body) > 0 {
		rec.Body = d.buf[strLen:len(d.buf):len(d.buf)]
	}
	return rec
}
