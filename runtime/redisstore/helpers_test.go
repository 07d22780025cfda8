package redisstore

import (
	"context"
	"crypto/rand"
	"flag"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisURL is the server the tests use: IDEMGEN_REDIS_URL, or the local
// default of the project's machines.
func redisURL() string {
	if u := os.Getenv("IDEMGEN_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// reachable pings the server once per test binary, so that without a
// server every test skips at once instead of paying for dial retries.
var reachable = sync.OnceValue(func() error {
	opt, err := redis.ParseURL(redisURL())
	if err != nil {
		return err
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
})

// testClient connects to IDEMGEN_REDIS_URL. It skips the test when the
// server is unreachable, unless CI is set: there a missing server fails.
func testClient(tb testing.TB) *redis.Client {
	tb.Helper()
	opt, err := redis.ParseURL(redisURL())
	if err != nil {
		tb.Fatalf("IDEMGEN_REDIS_URL=%q: %v", redisURL(), err)
	}
	if err := reachable(); err != nil {
		msg := "redis at IDEMGEN_REDIS_URL=" + redisURL() + " unreachable: " + err.Error()
		if ci() {
			tb.Fatal(msg)
		}
		tb.Skip(msg + " (set IDEMGEN_REDIS_URL to run these tests)")
	}
	client := redis.NewClient(opt)
	tb.Cleanup(func() { client.Close() })
	return client
}

// testPrefix returns a prefix no other test or run uses, and deletes every
// key under it when the test ends.
func testPrefix(tb testing.TB, client redis.UniversalClient) string {
	tb.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, tb.Name())
	prefix := "idemtest:" + name + ":" + rand.Text()[:10]
	tb.Cleanup(func() { deletePrefix(tb, client, prefix) })
	return prefix
}

func deletePrefix(tb testing.TB, client redis.UniversalClient, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	iter := client.Scan(ctx, 0, prefix+":*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		tb.Logf("cleanup of %s: %v", prefix, err)
		return
	}
	for _, k := range keys {
		client.Del(ctx, k)
	}
}

// newTestStore returns a Store on the test server under a fresh prefix.
func newTestStore(tb testing.TB, opts ...Option) (*Store, *redis.Client) {
	tb.Helper()
	client := testClient(tb)
	opts = append([]Option{WithPrefix(testPrefix(tb, client))}, opts...)
	return New(client, opts...), client
}

func ci() bool { return os.Getenv("CI") != "" }

// quietLogger drops go-redis's own log lines (dial failures while a fault
// test has the server down) unless the tests run with -v.
type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

func TestMain(m *testing.M) {
	flag.Parse()
	if !testing.Verbose() {
		redis.SetLogger(quietLogger{})
		// The project's Redis runs without persistence, so every Store
		// warns once through slog.Default; tests of the warnings log to
		// their own logger.
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	os.Exit(m.Run())
}
