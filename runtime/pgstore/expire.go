package pgstore

import (
	"context"
	"fmt"
)

// DeleteExpired removes expired rows (records past their TTL, claims past
// their lease) in batches of at most batch rows, one short transaction per
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
// Several replicas may run it at once: rows locked by one sweeper (or by a
// claimer taking an expired key over) are skipped by the others.
func (s *Store) DeleteExpired(ctx context.Context, batch int) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	if batch <= 0 {
		return 0, fmt.Errorf("pgstore: DeleteExpired: batch must be positive, got %d", batch)
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("pgstore: DeleteExpired: %w", err)
		}
		var n int64
		err := retry(ctx, func(bool) error {
			tag, err := s.pool.Exec(ctx, s.q.deleteExpired, batch)
			n = tag.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("pgstore: DeleteExpired: %w", err)
		}
		total += n
		if n < int64(batch) {
			return total, nil
		}
	}
}
