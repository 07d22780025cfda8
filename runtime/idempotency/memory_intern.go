package idempotency

import (
	"hash/maphash"
	"net/http"
)

// headerTable interns the header fields (a name with its values) that a
// shard's records repeat, such as Content-Type: application/json, so a
// record refers to each by a number and a per-response field (a Location)
// costs only its own bytes.
//
// A field is interned the second time it is seen, so that values unique
// to one response never enter the table; the fields seen once are
// remembered only as hashes in a small direct-mapped array. The table is
// bounded (maxInterned fields of at most maxInternedLen bytes) and never
// shrinks: it holds what an operation answers with every time.
type headerTable struct {
	ids    map[string]uint32 // a field's encoding → its number
	fields []internedField
	// sets holds, by header section, the Header decoded for records whose
	// every field is interned, shared by their replays; at most maxSets.
	sets map[string]http.Header
	seen [64]uint64 // hashes of fields seen once, by their low bits
	seed maphash.Seed
}

type internedField struct {
	name   string
	values []string // shared by every Record decoded with the field
}

const (
	maxInterned    = 64
	maxInternedLen = 256
	maxSets        = 16
)

func newHeaderTable() *headerTable {
	return &headerTable{ids: map[string]uint32{}, sets: map[string]http.Header{}, seed: maphash.MakeSeed()}
}

// sharedHeader returns the Header of a section of n interned fields only,
// built once per distinct section while there is room for it.
func (t *headerTable) sharedHeader(section []byte, n int) http.Header {
	if h, ok := t.sets[string(section)]; ok {
		return h
	}
	d := headerDecoder{pass: buildPass, t: t, h: make(http.Header, n)}
	d.walk(section)
	if len(t.sets) < maxSets {
		t.sets[string(section)] = d.h
	}
	return d.h
}

// lookup returns the number of the field whose encoding is enc, interning
// it when this is the second time it is seen and there is room.
func (t *headerTable) lookup(enc []byte, name string, values []string) (uint32, bool) {
	if id, ok := t.ids[string(enc)]; ok {
		return id, true
	}
	if len(enc) > maxInternedLen || len(t.fields) >= maxInterned {
		return 0, false
	}
	h := maphash.Bytes(t.seed, enc) | 1 // 0 marks an empty slot
	slot := &t.seen[h%uint64(len(t.seen))]
	if *slot != h {
		*slot = h
		return 0, false
	}
	*slot = 0
	id := uint32(len(t.fields))
	vs := make([]string, len(values))
	copy(vs, values)
	t.fields = append(t.fields, internedField{name: name, values: vs[:len(vs):len(vs)]})
	t.ids[string(enc)] = id
	return id, true
}

// encodeField appends the encoding of one header field to b.
func encodeField(b []byte, name string, values []string) []byte {
	b = appendString(b, name)
	b = appendUvarint(b, uint64(len(values)))
	for _, v := range values {
		b = appendString(b, v)
	}
	return b
}

// Field tags in a record's header section.
const (
	fieldInline   = 0
	fieldInterned = 1
)
