package mysqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// rowOverhead is what a record's row needs beyond its header, body and
// fingerprint bytes: the key, the token, the times and the packet framing,
// generously rounded up.
const rowOverhead = 4 << 10

// The body and header columns are LONGBLOBs, but what bounds a record is
// the server's max_allowed_packet (16 MiB by default in MariaDB 10.5 and
// later): Complete sends the record as statement parameters, and a replay
// receives it as one row, and neither may exceed the packet limit. fits
// refuses a larger record up front with ErrRecordTooLarge, so that the
// server never has to cut the connection over it.
func (s *Store) fits(ctx context.Context, size int) error {
	limit, err := s.packetLimit(ctx)
	if err != nil {
		return err
	}
	if int64(size)+rowOverhead > limit {
		return fmt.Errorf("record of %d bytes with max_allowed_packet %d: %w", size, limit, idempotency.ErrRecordTooLarge)
	}
	return nil
}

// packetLimit reads the server's max_allowed_packet once per store (at
// Migrate, or on the first Complete): a change on the server is seen after
// a restart of the store's process.
func (s *Store) packetLimit(ctx context.Context) (int64, error) {
	s.mu.Lock()
	limit := s.maxPacket
	s.mu.Unlock()
	if limit > 0 {
		return limit, nil
	}
	err := retry(ctx, func(bool) error {
		return s.db.QueryRowContext(ctx, "SELECT @@max_allowed_packet").Scan(&limit)
	})
	if err != nil {
		return 0, fmt.Errorf("reading max_allowed_packet: %w", err)
	}
	s.mu.Lock()
	s.maxPacket = limit
	s.mu.Unlock()
	return limit, nil
}

// tooLarge marks the server's refusals of an oversized record (should
// max_allowed_packet have shrunk since it was read) as ErrRecordTooLarge.
func tooLarge(err error) error {
	var my *mysql.MySQLError
	if errors.Is(err, mysql.ErrPktTooLarge) ||
		errors.As(err, &my) && (my.Number == erNetPacketTooLarge || my.Number == erPacketOverflowed) {
		return fmt.Errorf("%w: %w", idempotency.ErrRecordTooLarge, err)
	}
	return err
}

// Server error numbers the store treats specially.
const (
	erNetPacketTooLarge = 1153 // got a packet bigger than max_allowed_packet
	erPacketOverflowed  = 1301 // a result larger than max_allowed_packet
)
