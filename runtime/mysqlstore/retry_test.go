package mysqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

func TestRetryableClassifiesErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&mysql.MySQLError{Number: 1927}, true},  // KILL CONNECTION
		{&mysql.MySQLError{Number: 1213}, true},  // deadlock
		{&mysql.MySQLError{Number: 1062}, false}, // duplicate key: a real statement error
		{&mysql.MySQLError{Number: 1146}, false}, // no such table
		{&mysql.MySQLError{Number: erNetPacketTooLarge}, false},
		{mysql.ErrInvalidConn, true},
		{fmt.Errorf("x: %w", driver.ErrBadConn), true},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{errors.New("cannot scan"), false},
	} {
		if got := retryable(tc.err); got != tc.want {
			t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestRetryTellsLaterAttemptsTheyMayFollowACommit(t *testing.T) {
	var seen []bool
	err := retryN(context.Background(), 5, func(ambiguous bool) error {
		seen = append(seen, ambiguous)
		if len(seen) < 3 {
			return mysql.ErrInvalidConn
		}
		return nil
	})
	if err != nil || fmt.Sprint(seen) != "[false true true]" {
		t.Fatalf("err %v, ambiguous flags %v", err, seen)
	}
	calls := 0
	stmtErr := &mysql.MySQLError{Number: 1062}
	if err := retryN(context.Background(), 3, func(bool) error { calls++; return stmtErr }); err != stmtErr || calls != 1 {
		t.Fatalf("statement error: err %v after %d calls, want it at once", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := retryN(ctx, 3, func(bool) error { return io.EOF }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while backing off: %v", err)
	}
}

func TestTooLargeMapsServerRefusals(t *testing.T) {
	for _, err := range []error{mysql.ErrPktTooLarge, &mysql.MySQLError{Number: erNetPacketTooLarge}} {
		if !errors.Is(tooLarge(err), idempotency.ErrRecordTooLarge) {
			t.Errorf("tooLarge(%v) does not wrap ErrRecordTooLarge", err)
		}
	}
	if errors.Is(tooLarge(mysql.ErrInvalidConn), idempotency.ErrRecordTooLarge) {
		t.Error("a broken connection taken for a record too large")
	}
}
