package redisstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestCheckUnreachable: a server that cannot be asked is an error, not a
// verdict; CheckWarn logs it and serves, CheckRefuse refuses.
func TestCheckUnreachable(t *testing.T) {
	ctx := context.Background()
	client := unreachableClient(t)
	if _, err := CheckServer(ctx, client); err == nil || errors.Is(err, ErrUnsafeServer) {
		t.Fatalf("CheckServer on no server: %v, want a connection error", err)
	}
	if _, err := NewChecked(ctx, client, WithServerCheck(CheckRefuse), quiet); err == nil || errors.Is(err, ErrUnsafeServer) {
		t.Fatalf("NewChecked(CheckRefuse) on no server: %v, want a connection error", err)
	}
	logs, logTo := capture()
	if _, err := NewChecked(ctx, client, logTo); err != nil {
		t.Fatalf("NewChecked(CheckWarn) on no server: %v", err)
	}
	if !strings.Contains(logs.String(), "could not check") {
		t.Errorf("failed check not logged:\n%s", logs)
	}
}

// TestCheckRetriesAfterOutage: a Store whose first use found no server
// checks again once the server is back, and warns then.
func TestCheckRetriesAfterOutage(t *testing.T) {
	srv := startPrivateRedis(t, false)
	client := redis.NewClient(&redis.Options{Addr: srv.addr(), MaxRetries: -1, DialTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { client.Close() })
	logs, logTo := capture()
	s := New(client, WithPrefix("outage"), logTo)
	s.check.recheck = 0
	srv.stop()
	ctx := context.Background()
	if _, err := s.Claim(ctx, "k", "fp", time.Minute); err == nil {
		t.Fatal("Claim without a server succeeded")
	}
	srv.start()
	if _, err := s.Claim(ctx, "k", "fp", time.Minute); err != nil {
		t.Fatalf("Claim after the restart: %v", err)
	}
	if out := logs.String(); !strings.Contains(out, "could not check") || !strings.Contains(out, "forgets every key") {
		t.Errorf("want the failed check, then the persistence warning:\n%s", out)
	}
}

// TestCheckInvalidMode: an unknown mode is an error naming the option,
// never a silent default.
func TestCheckInvalidMode(t *testing.T) {
	client := unreachableClient(t)
	if _, err := NewChecked(context.Background(), client, WithServerCheck(CheckMode(9))); err == nil ||
		!strings.Contains(err.Error(), "WithServerCheck") {
		t.Fatalf("NewChecked with mode 9: %v", err)
	}
	s := New(client, WithServerCheck(CheckMode(9)))
	if _, err := s.Claim(context.Background(), "k", "fp", time.Minute); err == nil ||
		!strings.Contains(err.Error(), "WithServerCheck") {
		t.Fatalf("Claim with mode 9: %v", err)
	}
}
