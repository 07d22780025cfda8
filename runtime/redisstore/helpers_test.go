package redisstore

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// testClient is a client of the shared test server, IDEMGEN_REDIS_URL;
// the test skips, or fails under CI, when the server does not answer.
func testClient(tb testing.TB) *redis.Client {
	tb.Helper()
	return testsvc.Redis(tb)
}

// testPrefix returns a key prefix no other test or run uses, and deletes
// every key under it when the test ends.
func testPrefix(tb testing.TB, client redis.UniversalClient) string {
	tb.Helper()
	return testsvc.RedisPrefix(tb, client, "idemtest")
}

// newTestStore returns a Store on the test server under a fresh prefix.
func newTestStore(tb testing.TB, opts ...Option) (*Store, *redis.Client) {
	tb.Helper()
	client := testClient(tb)
	opts = append([]Option{WithPrefix(testPrefix(tb, client))}, opts...)
	return New(client, opts...), client
}

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
