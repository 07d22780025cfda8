package pgstore

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// maxAttempts bounds how often one call runs its statement: a claim whose
// snapshot missed a racing row, or a statement whose connection broke
// (pg_terminate_backend, a failover, a restarted server). Every statement
// is safe to repeat; see the callers for how an ambiguous first attempt is
// resolved.
const maxAttempts = 6

// completeAttempts is larger: when Complete fails the handler has already
// run, and a lost record lets a retry run it again once the lease lapses,
// so Complete keeps trying for about two seconds of outage.
const completeAttempts = 10

// retryable reports whether err means the connection failed rather than
// the statement: the pool hands out another connection on the next try.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"): // connection exception
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case pgErr.Code == "40001", pgErr.Code == "40P01": // serialization failure, deadlock
			return true
		}
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connectErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed)
}

// backoff waits before attempt n (n >= 1), or returns ctx's error.
func backoff(ctx context.Context, n int) error {
	d := time.Duration(5<<min(n, 6)) * time.Millisecond // 10ms, 20ms, 40ms, ... 320ms
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retry runs fn until it succeeds, fails for a reason other than a broken
// connection, or maxAttempts is spent. fn learns through its argument
// whether an earlier attempt failed in a way that may have hidden a commit.
func retry(ctx context.Context, fn func(ambiguous bool) error) error {
	return retryN(ctx, maxAttempts, fn)
}

func retryN(ctx context.Context, attempts int, fn func(ambiguous bool) error) error {
	ambiguous := false
	var err error
	for attempt := 0; attempt < attempts; attempt++ {
		if attempt > 0 {
			if werr := backoff(ctx, attempt); werr != nil {
				return errors.Join(err, werr)
			}
		}
		err = fn(ambiguous)
		if !retryable(err) {
			return err
		}
		ambiguous = true
	}
	return err
}
