package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
)

// errSnapshotMiss marks a claim statement that returned no row: its
// snapshot missed a row committed by a racing claimer. Running it again
// sees that row.
var errSnapshotMiss = errors.New("pgstore: claim saw a concurrent change; retry")

// Claim atomically takes key for lease or reports who holds it, in one
// statement. Leases and expiry use the database clock, so replicas with
// skewed clocks agree.
func (s *Store) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Claim, error) {
	if s.err != nil {
		return idempotency.Claim{}, s.err
	}
	if key == "" {
		return idempotency.Claim{}, errors.New("pgstore: Claim: empty key")
	}
	if lease <= 0 {
		return idempotency.Claim{}, fmt.Errorf("pgstore: Claim %q: lease must be positive, got %v", key, lease)
	}
	// The token is chosen here, not by the database, so that a retry after
	// a broken connection presents the same token and recognises its own
	// claim if the first attempt committed.
	token := rand.Text()
	var c idempotency.Claim
	misses := 0
	err := retry(ctx, func(bool) error {
		for {
			var err error
			c, err = s.claimOnce(ctx, key, fingerprint, token, lease)
			if err != errSnapshotMiss {
				return err
			}
			// A miss means another claimer committed during our statement;
			// a fresh snapshot sees its row. Bounded in case rows keep
			// appearing and vanishing under us.
			if misses++; misses > 16 {
				return fmt.Errorf("pgstore: Claim %q: key kept changing during the claim", key)
			}
		}
	})
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("pgstore: Claim %q: %w", key, err)
	}
	return c, nil
}

func (s *Store) claimOnce(ctx context.Context, key, fingerprint, token string, lease time.Duration) (idempotency.Claim, error) {
	var (
		fresh, takenOver, omitted bool
		fence                     int64
		fp                        []byte
		status                    *int32
		header, body              []byte
		createdAt, expiresAt      *time.Time
	)
	rows, err := s.pool.Query(ctx, s.q.claim, []byte(key), token, []byte(fingerprint), lease.Microseconds())
	if err != nil {
		return idempotency.Claim{}, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return idempotency.Claim{}, err
		}
		return idempotency.Claim{}, errSnapshotMiss
	}
	if err := rows.Scan(&fresh, &takenOver, &fence, &fp, &status, &header, &body, &omitted, &createdAt, &expiresAt); err != nil {
		return idempotency.Claim{}, err
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return idempotency.Claim{}, err
	}

	switch {
	case fresh:
		return idempotency.Claim{State: idempotency.Acquired, Token: token, TakenOver: takenOver, Fence: uint64(fence), Fingerprint: fingerprint}, nil
	case status == nil:
		return idempotency.Claim{State: idempotency.InFlight, Fingerprint: string(fp)}, nil
	}
	rec := &idempotency.Record{Fingerprint: string(fp), Status: int(*status), Body: body, BodyOmitted: omitted}
	if createdAt != nil {
		rec.CreatedAt = *createdAt
	}
	if expiresAt != nil {
		rec.ExpiresAt = *expiresAt
	}
	if rec.Header, err = headercodec.Decode(header); err != nil {
		return idempotency.Claim{}, fmt.Errorf("stored headers: %w", err)
	}
	return idempotency.Claim{State: idempotency.Completed, Fingerprint: rec.Fingerprint, Record: rec}, nil
}

// Complete stores rec under key until rec.ExpiresAt (the store's TTL from
// the database's now when zero), only while token owns the in-flight claim.
//
// ExpiresAt is kept exactly as given, because the middleware has already
// told the handler (through Info) when the record expires; a replica whose
// clock is off by s shifts a record's hours-long life by s. Leases, where
// seconds matter, run wholly on the database clock.
func (s *Store) Complete(ctx context.Context, key, token string, rec *idempotency.Record) error {
	if s.err != nil {
		return s.err
	}
	if rec == nil {
		return fmt.Errorf("pgstore: Complete %q: nil record", key)
	}
	header := headercodec.Encode(rec.Header)
	if err := s.fits(key, rec, header); err != nil {
		return wrap("Complete", key, err)
	}
	args := s.completeArgs(key, token, rec, header)
	k := []byte(key)
	err := retryN(ctx, completeAttempts, func(ambiguous bool) error {
		tag, err := s.pool.Exec(ctx, s.q.complete, args...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 1 {
			return nil
		}
		if ambiguous {
			// An earlier attempt may have committed before its connection
			// broke; then the record is ours already.
			var done bool
			if err := s.pool.QueryRow(ctx, s.q.completedBy, k, token).Scan(&done); err != nil {
				return err
			}
			if done {
				return nil
			}
		}
		return idempotency.ErrNotOwner
	})
	return wrap("Complete", key, err)
}

// completeArgs are the parameters of completeSQL, which Complete and
// Tx.Commit share.
func (s *Store) completeArgs(key, token string, rec *idempotency.Record, header []byte) []any {
	return []any{[]byte(key), token, int32(rec.Status), header, rec.Body, rec.BodyOmitted,
		[]byte(rec.Fingerprint), optTime(rec.CreatedAt), optTime(rec.ExpiresAt), s.ttl.Microseconds()}
}

// Abandon deletes token's in-flight claim, so the next request runs afresh.
func (s *Store) Abandon(ctx context.Context, key, token string) error {
	if s.err != nil {
		return s.err
	}
	err := retry(ctx, func(ambiguous bool) error {
		tag, err := s.pool.Exec(ctx, s.q.abandon, []byte(key), token)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 && !ambiguous {
			return idempotency.ErrNotOwner
		}
		// After an ambiguous attempt, no row means our delete committed.
		return nil
	})
	return wrap("Abandon", key, err)
}

// Renew extends token's lease to lease from the database's now.
func (s *Store) Renew(ctx context.Context, key, token string, lease time.Duration) error {
	if s.err != nil {
		return s.err
	}
	if lease <= 0 {
		return fmt.Errorf("pgstore: Renew %q: lease must be positive, got %v", key, lease)
	}
	err := retry(ctx, func(bool) error {
		tag, err := s.pool.Exec(ctx, s.q.renew, []byte(key), token, lease.Microseconds())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return idempotency.ErrNotOwner
		}
		return nil
	})
	return wrap("Renew", key, err)
}

// optTime maps the zero time to SQL NULL, which the statements replace
// with a time taken from the database clock.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// wrap names the operation and key, leaving ErrNotOwner bare so callers can
// compare it directly as well as with errors.Is.
func wrap(op, key string, err error) error {
	if err == nil || err == idempotency.ErrNotOwner {
		return err
	}
	return fmt.Errorf("pgstore: %s %q: %w", op, key, err)
}
