package mysqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"time"

	"github.com/go-sql-driver/mysql"
)

// maxAttempts bounds how often one call runs its statement when its
// connection broke (KILL CONNECTION, a failover, a restarted server) or the
// server rolled it back (a deadlock). Every statement is safe to repeat;
// see the callers for how an ambiguous first attempt is resolved.
const maxAttempts = 6

// completeAttempts is larger: when Complete fails the handler has already
// run, and a lost record lets a retry run it again once the lease lapses,
// so Complete keeps trying for about two seconds of outage.
const completeAttempts = 10

// Server errors after which the statement did not take effect, or the
// connection is gone, so that running it again on another connection is
// safe.
var retryableErrors = map[uint16]bool{
	1040: true, // too many connections
	1053: true, // server shutdown in progress
	1205: true, // lock wait timeout: the statement was rolled back
	1213: true, // deadlock: the transaction was rolled back
	1317: true, // query interrupted (KILL QUERY)
	1927: true, // connection killed (KILL CONNECTION)
	4031: true, // disconnected by the server after inactivity
}

// retryable reports whether err means the connection failed rather than
// the statement: the pool hands out another connection on the next try.
func retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return retryableErrors[my.Number]
	}
	// database/sql already retries driver.ErrBadConn (nothing was sent) on
	// fresh connections; it surfaces only when those broke too.
	// mysql.ErrInvalidConn is a connection that broke mid-statement.
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
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
