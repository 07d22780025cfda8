package redisstore

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// A record is stored as one compact binary value, so that a replay reads a
// single hash field and decodes it without a JSON parser:
//
//	version byte (1), flags byte, status uvarint,
//	[created: unix seconds varint, nanoseconds uvarint],
//	[expires: likewise],
//	[header: name count uvarint, then per name: name, value count uvarint,
//	 values; every string is a uvarint length and its bytes],
//	body: the remaining bytes.
//
// The fingerprint lives in its own hash field, where an in-flight claim
// can read it without decoding anything.
const codecVersion = 1

const (
	flagOmitted = 1 << iota
	flagCreated
	flagExpires
	flagHeader
	flagBody
)

func encodeRecord(rec *idempotency.Record) []byte {
	size := 16 + len(rec.Body)
	for name, vals := range rec.Header {
		size += len(name) + 4
		for _, v := range vals {
			size += len(v) + 2
		}
	}
	buf := make([]byte, 2, size)
	buf[0] = codecVersion
	var flags byte
	if rec.BodyOmitted {
		flags |= flagOmitted
	}
	buf = binary.AppendUvarint(buf, uint64(max(rec.Status, 0)))
	if !rec.CreatedAt.IsZero() {
		flags |= flagCreated
		buf = appendTime(buf, rec.CreatedAt)
	}
	if !rec.ExpiresAt.IsZero() {
		flags |= flagExpires
		buf = appendTime(buf, rec.ExpiresAt)
	}
	if rec.Header != nil {
		flags |= flagHeader
		buf = binary.AppendUvarint(buf, uint64(len(rec.Header)))
		for name, vals := range rec.Header {
			buf = appendString(buf, name)
			buf = binary.AppendUvarint(buf, uint64(len(vals)))
			for _, v := range vals {
				buf = appendString(buf, v)
			}
		}
	}
	if rec.Body != nil {
		flags |= flagBody
		buf = append(buf, rec.Body...)
	}
	buf[1] = flags
	return buf
}

func appendTime(buf []byte, t time.Time) []byte {
	buf = binary.AppendVarint(buf, t.Unix())
	return binary.AppendUvarint(buf, uint64(t.Nanosecond()))
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// decoder reads an encoded record and remembers the first failure.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or invalid %s", errCorrupt, what)
	}
}

func (d *decoder) uvarint(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.buf)
	if n <= 0 {
		d.fail(what)
		return 0
	}
	d.buf = d.buf[n:]
	return v
}

func (d *decoder) time(what string) time.Time {
	if d.err != nil {
		return time.Time{}
	}
	sec, n := binary.Varint(d.buf)
	if n <= 0 {
		d.fail(what)
		return time.Time{}
	}
	d.buf = d.buf[n:]
	nsec := d.uvarint(what)
	if nsec >= uint64(time.Second) {
		d.fail(what)
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec))
}

func (d *decoder) string(what string) string {
	n := d.uvarint(what)
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.buf)) {
		d.fail(what)
		return ""
	}
	s := string(d.buf[:n])
	d.buf = d.buf[n:]
	return s
}

// count reads a length that must not exceed what the remaining bytes can
// hold (each item takes at least one byte), so corrupt input cannot make
// the decoder allocate without bound.
func (d *decoder) count(what string) int {
	n := d.uvarint(what)
	if n > uint64(len(d.buf)) {
		d.fail(what)
		return 0
	}
	return int(n)
}

func decodeRecord(b []byte) (*idempotency.Record, error) {
	if len(b) < 2 || b[0] != codecVersion {
		return nil, fmt.Errorf("%w: unknown encoding", errCorrupt)
	}
	flags := b[1]
	d := &decoder{buf: b[2:]}
	rec := &idempotency.Record{BodyOmitted: flags&flagOmitted != 0}
	status := d.uvarint("status")
	if status > 999 {
		d.fail("status")
	}
	rec.Status = int(status)
	if flags&flagCreated != 0 {
		rec.CreatedAt = d.time("created time")
	}
	if flags&flagExpires != 0 {
		rec.ExpiresAt = d.time("expiry time")
	}
	if flags&flagHeader != 0 {
		names := d.count("header count")
		rec.Header = make(http.Header, names)
		for i := 0; i < names && d.err == nil; i++ {
			name := d.string("header name")
			vals := make([]string, d.count("header value count"))
			for j := range vals {
				vals[j] = d.string("header value")
			}
			rec.Header[name] = vals
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if flags&flagBody != 0 {
		rec.Body = d.buf // b is the caller's private copy
	} else if len(d.buf) > 0 {
		return nil, fmt.Errorf("%w: trailing bytes", errCorrupt)
	}
	return rec, nil
}
