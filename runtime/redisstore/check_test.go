package redisstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// logBuffer collects what a Store logs.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func capture() (*logBuffer, Option) {
	b := &logBuffer{}
	return b, WithLogger(slog.New(slog.NewTextHandler(b, nil)))
}

// quiet drops the check's warnings, for tests that look at errors only.
var quiet = WithLogger(slog.New(slog.DiscardHandler))

func privateClient(t *testing.T, r *privateRedis) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	t.Cleanup(func() { c.Close() })
	return c
}

func finding(t *testing.T, rep Report, setting string) Finding {
	t.Helper()
	for _, f := range rep.Findings {
		if f.Setting == setting {
			return f
		}
	}
	t.Fatalf("no %s finding in:\n%s", setting, rep)
	return Finding{}
}

// lostKeys completes n keys, then writes twice maxmemory of other data,
// and counts the keys a retry would run again.
func lostKeys(t *testing.T, client *redis.Client, n int) int {
	ctx := context.Background()
	s := New(client, WithPrefix("lost"), WithServerCheck(CheckOff))
	for i := range n {
		c, err := s.Claim(ctx, fmt.Sprint(i), "fp", time.Minute)
		if err != nil || c.State != idempotency.Acquired {
			t.Fatalf("claim %d: %+v, %v", i, c, err)
		}
		if err := s.Complete(ctx, fmt.Sprint(i), c.Token, sampleRecord("fp")); err != nil {
			t.Fatalf("complete %d: %v", i, err)
		}
	}
	filler := strings.Repeat("x", 10<<10)
	pipe := client.Pipeline()
	for i := range 2000 {
		pipe.Set(ctx, fmt.Sprint("filler:", i), filler, 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatalf("filling memory: %v", err)
	}
	lost := 0
	for i := range n {
		c, err := s.Claim(ctx, fmt.Sprint(i), "fp", time.Minute)
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		if c.State == idempotency.Acquired {
			lost++
		}
	}
	return lost
}

// TestCheckRefusesEvictingServer is the regression test of silent
// eviction: on a server with maxmemory, allkeys-lru and no persistence,
// completed keys really are lost, and the check now says so (refusing in
// CheckRefuse mode, warning by default) instead of serving silently.
func TestCheckRefusesEvictingServer(t *testing.T) {
	srv := startPrivateRedis(t, false, "--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru")
	client := privateClient(t, srv)
	ctx := context.Background()

	if lost := lostKeys(t, client, 50); lost == 0 {
		t.Fatal("no completed key was evicted: the server does not show the problem")
	}

	_, err := NewChecked(ctx, client, WithServerCheck(CheckRefuse), quiet)
	if !errors.Is(err, ErrUnsafeServer) {
		t.Fatalf("NewChecked(CheckRefuse) on an evicting server: %v, want ErrUnsafeServer", err)
	}
	for _, want := range []string{"maxmemory-policy", "maxmemory-policy=allkeys-lru", "400 of 400",
		"CONFIG SET maxmemory-policy noeviction", "persistence", "forgets every key", "appendonly yes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal does not mention %q: %v", want, err)
		}
	}

	logs, logTo := capture()
	s := New(client, WithPrefix(testPrefix(t, client)), WithServerCheck(CheckRefuse), logTo)
	if c, err := s.Claim(ctx, "k", "fp", time.Minute); !errors.Is(err, ErrUnsafeServer) {
		t.Fatalf("Claim on a refusing store: %+v, %v, want ErrUnsafeServer", c, err)
	}
	if s.Lock("k") {
		t.Fatal("seed Lock on a refusing store succeeded")
	}
	if n := strings.Count(logs.String(), "setting=maxmemory-policy"); n != 1 {
		t.Errorf("the eviction warning was logged %d times, want once:\n%s", n, logs)
	}

	// Fixed with CONFIG SET, the same Store serves at its next check. (An
	// RDB schedule is weak, which does not refuse; appendonly yes would
	// fork a rewrite that can outlive the killed server.)
	client.FlushAll(ctx) // room under maxmemory again
	for _, kv := range [][2]string{{"maxmemory-policy", "noeviction"}, {"save", "3600 1"}} {
		if err := client.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	s.check.mu.Lock()
	s.check.recheck = 0
	s.check.mu.Unlock()
	if c, err := s.Claim(ctx, "k", "fp", time.Minute); err != nil || c.State != idempotency.Acquired {
		t.Fatalf("Claim after the fix: %+v, %v", c, err)
	}
}

// TestCheckWarnsByDefault: a Store made by New logs, on its first Claim,
// each unsafe setting with its value, cost and fix, and serves anyway.
func TestCheckWarnsByDefault(t *testing.T) {
	srv := startPrivateRedis(t, false, "--maxmemory", "10mb", "--maxmemory-policy", "volatile-lru")
	client := privateClient(t, srv)
	logs, logTo := capture()
	s := New(client, WithPrefix("warn"), logTo)
	if logs.String() != "" {
		t.Fatalf("New logged before any use: %s", logs)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := s.Claim(ctx, "k", "fp", time.Minute); err != nil {
			t.Fatalf("Claim in CheckWarn mode: %v", err)
		}
	}
	out := logs.String()
	for _, want := range []string{"level=WARN", "setting=maxmemory-policy", "volatile-lru", "has a TTL",
		"CONFIG SET maxmemory-policy noeviction", "setting=persistence", "CONFIG SET appendonly yes"} {
		if !strings.Contains(out, want) {
			t.Errorf("warnings do not mention %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "setting=maxmemory-policy"); n != 1 {
		t.Errorf("eviction warning logged %d times over three claims, want once", n)
	}
}

// TestCheckPassesSafeServer: noeviction with AOF fsynced is clean: no
// finding but OK, no refusal, nothing logged.
func TestCheckPassesSafeServer(t *testing.T) {
	srv := startPrivateRedis(t, true, "--maxmemory", "10mb", "--maxmemory-policy", "noeviction")
	client := privateClient(t, srv)
	ctx := context.Background()
	rep, err := CheckServer(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Status != StatusOK || f.Node != srv.addr() {
			t.Errorf("finding on a safe server: %s", f)
		}
	}
	if len(rep.Findings) != 3 {
		t.Errorf("want eviction, persistence and memory findings, got:\n%s", rep)
	}
	logs, logTo := capture()
	s, err := NewChecked(ctx, client, WithServerCheck(CheckRefuse), WithPrefix("safe"), logTo)
	if err != nil {
		t.Fatalf("NewChecked(CheckRefuse) on a safe server: %v", err)
	}
	if _, err := s.Claim(ctx, "k", "fp", time.Minute); err != nil {
		t.Fatal(err)
	}
	if logs.String() != "" {
		t.Errorf("a safe server was warned about:\n%s", logs)
	}
}

// TestCheckConfigDisabled: with CONFIG renamed away, as on managed Redis,
// what INFO tells is still graded, the rest is unknown, and unknown does
// not refuse, even in CheckRefuse mode.
func TestCheckConfigDisabled(t *testing.T) {
	ctx := context.Background()
	t.Run("unknown", func(t *testing.T) {
		client := privateClient(t, startPrivateRedis(t, false, "--rename-command", "CONFIG", ""))
		if err := client.ConfigGet(ctx, "save").Err(); err == nil {
			t.Fatal("CONFIG still answers; the test proves nothing")
		}
		rep, err := CheckServer(ctx, client)
		if err != nil {
			t.Fatalf("CheckServer without CONFIG: %v", err)
		}
		if f := finding(t, rep, "persistence"); f.Status != StatusUnknown {
			t.Errorf("persistence without CONFIG: %s, want unknown", f)
		}
		if f := finding(t, rep, "maxmemory-policy"); f.Status != StatusOK {
			t.Errorf("eviction from INFO (maxmemory 0): %s, want ok", f)
		}
		logs, logTo := capture()
		if _, err := NewChecked(ctx, client, WithServerCheck(CheckRefuse), logTo); err != nil {
			t.Fatalf("unknown settings refused: %v", err)
		}
		if !strings.Contains(logs.String(), "status=unknown") {
			t.Errorf("unknown setting not logged:\n%s", logs)
		}
	})
	t.Run("eviction seen through INFO", func(t *testing.T) {
		client := privateClient(t, startPrivateRedis(t, false, "--rename-command", "CONFIG", "",
			"--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lfu"))
		_, err := NewChecked(ctx, client, WithServerCheck(CheckRefuse), quiet)
		if !errors.Is(err, ErrUnsafeServer) || !strings.Contains(err.Error(), "allkeys-lfu") {
			t.Fatalf("allkeys-lfu behind a disabled CONFIG: %v, want ErrUnsafeServer", err)
		}
	})
}

// TestCheckSharedServer runs the check on the project's Redis, as a
// readiness probe would; its settings are not ours to grade here.
func TestCheckSharedServer(t *testing.T) {
	rep, err := CheckServer(context.Background(), testClient(t))
	if err != nil {
		t.Fatal(err)
	}
	finding(t, rep, "maxmemory-policy")
	finding(t, rep, "persistence")
	t.Logf("shared server:\n%s", rep)
}
