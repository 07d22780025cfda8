package pgstore

import (
	"fmt"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// maxRowBytes is PostgreSQL's MaxAllocSize (1 GiB - 1): the server reads
// no protocol message and builds no value or result row larger than that,
// so a record must fit in it twice over: once as the Complete statement's
// parameters, once as the row a replay's claim returns.
const maxRowBytes = 1<<30 - 1

// rowOverhead is what a record's row needs beyond its key, header, body
// and fingerprint bytes: the token, the times, the other columns and the
// message framing, generously rounded up.
const rowOverhead = 4 << 10

// fits refuses, before anything is sent, a record the server would reject
// only after receiving up to a gigabyte of it, with ErrRecordTooLarge, so
// that the middleware stores the response without its body instead.
func (s *Store) fits(key string, rec *idempotency.Record, header []byte) error {
	size := len(key) + len(header) + len(rec.Body) + len(rec.Fingerprint) + rowOverhead
	if size > s.maxRow {
		return fmt.Errorf("record of %d bytes, over the %d a PostgreSQL row can carry: %w", size, s.maxRow, idempotency.ErrRecordTooLarge)
	}
	return nil
}
