package mysqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
)

// Claim atomically takes key for lease or reports who holds it, in one
// statement. Leases and expiry use the database clock, so replicas with
// skewed clocks agree.
func (s *Store) Claim(ctx context.Context, key, fingerprint string, lease time.Duration) (idempotency.Claim, error) {
	if s.err != nil {
		return idempotency.Claim{}, s.err
	}
	if key == "" {
		return idempotency.Claim{}, errors.New("mysqlstore: Claim: empty key")
	}
	if len(key) > MaxKeyBytes {
		return idempotency.Claim{}, fmt.Errorf("mysqlstore: Claim: key of %d bytes, longer than MaxKeyBytes (%d)", len(key), MaxKeyBytes)
	}
	if lease <= 0 {
		return idempotency.Claim{}, fmt.Errorf("mysqlstore: Claim %q: lease must be positive, got %v", key, lease)
	}
	// The token is chosen here, not by the database, so that a retry after
	// a broken connection presents the same token and recognises its own
	// claim if the first attempt committed.
	token := rand.Text()
	var c idempotency.Claim
	err := retry(ctx, func(bool) error {
		var err error
		c, err = s.claimOnce(ctx, key, fingerprint, token, lease)
		return err
	})
	if err != nil {
		return idempotency.Claim{}, fmt.Errorf("mysqlstore: Claim %q: %w", key, err)
	}
	return c, nil
}

func (s *Store) claimOnce(ctx context.Context, key, fingerprint, token string, lease time.Duration) (idempotency.Claim, error) {
	st, err := s.stmt(ctx, s.q.claim)
	if err != nil {
		return idempotency.Claim{}, err
	}
	var (
		owner                []byte
		takenOver, omitted   bool
		fence                uint64
		fp, header, body     []byte
		status               sql.NullInt32
		createdUS, expiresUS int64
	)
	us := lease.Microseconds()
	err = st.QueryRowContext(ctx, []byte(key), []byte(token), []byte(fingerprint), us, us).
		Scan(&owner, &takenOver, &fence, &fp, &status, &header, &body, &omitted, &createdUS, &expiresUS)
	if err != nil {
		return idempotency.Claim{}, err
	}
	switch {
	case string(owner) == token:
		return idempotency.Claim{State: idempotency.Acquired, Token: token, TakenOver: takenOver, Fence: fence, Fingerprint: fingerprint}, nil
	case !status.Valid:
		return idempotency.Claim{State: idempotency.InFlight, Fingerprint: string(fp)}, nil
	}
	rec := &idempotency.Record{
		Fingerprint: string(fp),
		Status:      int(status.Int32),
		Body:        body,
		BodyOmitted: omitted,
		CreatedAt:   time.UnixMicro(createdUS),
		ExpiresAt:   time.UnixMicro(expiresUS),
	}
	if rec.Header, err = headercodec.Decode(header); err != nil {
		return idempotency.Claim{}, fmt.Errorf("stored headers: %w", err)
	}
	return idempotency.Claim{State: idempotency.Completed, Fingerprint: rec.Fingerprint, Record: rec}, nil
}

// Complete stores rec under key until rec.ExpiresAt (the store's TTL from
// the database's now when zero), only while token owns the in-flight claim.
// A record the server cannot take in one packet (max_allowed_packet) is
// refused with an error wrapping [idempotency.ErrRecordTooLarge], and the
// claim is kept.
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
		return fmt.Errorf("mysqlstore: Complete %q: nil record", key)
	}
	header := headercodec.Encode(rec.Header)
	if err := s.fits(ctx, len(header)+len(rec.Body)+len(rec.Fingerprint)); err != nil {
		return fmt.Errorf("mysqlstore: Complete %q: %w", key, err)
	}
	k, t, fp := []byte(key), []byte(token), []byte(rec.Fingerprint)
	err := retryN(ctx, completeAttempts, func(ambiguous bool) error {
		st, err := s.stmt(ctx, s.q.complete)
		if err != nil {
			return err
		}
		res, err := st.ExecContext(ctx, int32(rec.Status), header, rec.Body, rec.BodyOmitted, fp, fp,
			unixMicro(rec.CreatedAt), unixMicro(rec.ExpiresAt), s.ttl.Microseconds(), k, t)
		if err != nil {
			return tooLarge(err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return err
		}
		if ambiguous {
			// An earlier attempt may have committed before its connection
			// broke; then the record is ours already.
			done, err := s.count(ctx, s.q.completedBy, k, t)
			if err != nil || done {
				return err
			}
		}
		return idempotency.ErrNotOwner
	})
	return wrap("Complete", key, err)
}

// Abandon deletes token's in-flight claim, so the next request runs afresh.
func (s *Store) Abandon(ctx context.Context, key, token string) error {
	if s.err != nil {
		return s.err
	}
	err := retry(ctx, func(ambiguous bool) error {
		n, err := s.exec(ctx, s.q.abandon, []byte(key), []byte(token))
		if err != nil {
			return err
		}
		if n == 0 && !ambiguous {
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
		return fmt.Errorf("mysqlstore: Renew %q: lease must be positive, got %v", key, lease)
	}
	k, t, us := []byte(key), []byte(token), lease.Microseconds()
	err := retry(ctx, func(bool) error {
		n, err := s.exec(ctx, s.q.renew, us, us, k, t)
		if err != nil || n == 1 {
			return err
		}
		// No row changed: another owner, or the same lease end to the
		// microsecond (MariaDB counts only rows whose values changed).
		owns, err := s.count(ctx, s.q.owns, k, t)
		if err != nil || owns {
			return err
		}
		return idempotency.ErrNotOwner
	})
	return wrap("Renew", key, err)
}

// exec runs a prepared statement and returns the rows it affected.
func (s *Store) exec(ctx context.Context, query string, args ...any) (int64, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// count runs a prepared SELECT COUNT(*) and reports whether it found a row.
func (s *Store) count(ctx context.Context, query string, args ...any) (bool, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return false, err
	}
	var n int
	err = st.QueryRowContext(ctx, args...).Scan(&n)
	return n > 0, err
}

// unixMicro maps the zero time to SQL NULL, which the statements replace
// with a time taken from the database clock.
func unixMicro(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	us := t.UnixMicro()
	return &us
}

// wrap names the operation and key, leaving ErrNotOwner bare so callers can
// compare it directly as well as with errors.Is.
func wrap(op, key string, err error) error {
	if err == nil || err == idempotency.ErrNotOwner {
		return err
	}
	return fmt.Errorf("mysqlstore: %s %q: %w", op, key, err)
}
