package mysqlstore

import (
	"context"
	"fmt"
)

// DeleteExpired removes expired rows (records past their TTL, claims past
// their lease) in batches of at most batch rows, one short statement per
// batch, until none are left or ctx ends. It returns how many rows it
// deleted. Expired rows are already ignored by Claim and Get, so this only
// reclaims space; schedule it as often as suits the write rate, e.g.
//
//	for range time.Tick(time.Minute) {
//		if _, err := store.DeleteExpired(ctx, 1000); err != nil {
//			log.Print(err)
//		}
//	}
//
// Several replicas may run it at once. A batch locks the rows it deletes
// (and, under REPEATABLE READ, the index gaps between them) for the length
// of its statement, so a claim of one of those keys waits that long; keep
// batches small enough for that to be short.
func (s *Store) DeleteExpired(ctx context.Context, batch int) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if batch <= 0 {
		return 0, fmt.Errorf("mysqlstore: DeleteExpired: batch must be positive, got %d", batch)
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("mysqlstore: DeleteExpired: %w", err)
		}
		var n int64
		err := retry(ctx, func(bool) error {
			var err error
			n, err = s.exec(ctx, s.q.deleteExpired, batch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("mysqlstore: DeleteExpired: %w", err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
