package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestRetryableClassifiesErrors(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{nil, false},
		{&pgconn.PgError{Code: "57P01"}, true}, // terminated by pg_terminate_backend
		{&pgconn.PgError{Code: "08006"}, true},
		{&pgconn.PgError{Code: "40001"}, true},
		{&pgconn.PgError{Code: "23505"}, false}, // a real statement error
		{&pgconn.PgError{Code: "42P01"}, false},
		{fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{io.EOF, true},
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
			return io.ErrUnexpectedEOF
		}
		return nil
	})
	if err != nil || fmt.Sprint(seen) != "[false true true]" {
		t.Fatalf("err %v, ambiguous flags %v", err, seen)
	}

	calls := 0
	err = retryN(context.Background(), 3, func(bool) error { calls++; return io.EOF })
	if !errors.Is(err, io.EOF) || calls != 3 {
		t.Fatalf("exhausted retries: err %v after %d calls, want io.EOF after 3", err, calls)
	}

	calls = 0
	stmtErr := &pgconn.PgError{Code: "23505"}
	if err := retryN(context.Background(), 3, func(bool) error { calls++; return stmtErr }); err != stmtErr || calls != 1 {
		t.Fatalf("statement error: err %v after %d calls, want it at once", err, calls)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := retryN(ctx, 3, func(bool) error { return io.EOF }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while backing off: %v", err)
	}
}
