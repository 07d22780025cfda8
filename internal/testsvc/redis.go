package testsvc

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const redisHint = "start it with .ci/services, or set IDEMGEN_REDIS_URL to a server of yours"

// RedisURL is the Redis server the tests use: IDEMGEN_REDIS_URL, or the
// project machines' redis://127.0.0.1:6379/0. Its reachability is not
// checked; see [Redis].
func RedisURL() string { return envOr("IDEMGEN_REDIS_URL", "redis://127.0.0.1:6379/0") }

// Redis returns a client of the server at [RedisURL], closed when the
// test ends. It skips the test (fails it under [CI]) when the server does
// not answer PING.
func Redis(tb testing.TB) *redis.Client {
	tb.Helper()
	raw := RedisURL()
	opt, err := redis.ParseURL(raw)
	if err != nil {
		tb.Fatalf("IDEMGEN_REDIS_URL=%s: %v", shown(raw), err)
	}
	err = reach("redis "+raw, func() error {
		ping := *opt
		// One attempt: the answer is wanted now, not after retries.
		ping.MaxRetries, ping.DialerRetries = -1, 1
		c := redis.NewClient(&ping)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return c.Ping(ctx).Err()
	})
	if err != nil {
		Unavailable(tb, "Redis at "+shown(raw)+" (IDEMGEN_REDIS_URL) unreachable", err, redisHint)
	}
	client := redis.NewClient(opt)
	tb.Cleanup(func() { client.Close() })
	return client
}

// RedisPrefix returns a key prefix no other test or run uses, base
// followed by the test's name and a random part, and deletes every key
// under it when the test ends, so that tests sharing one server never see
// each other's keys.
func RedisPrefix(tb testing.TB, client redis.UniversalClient, base string) string {
	tb.Helper()
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, tb.Name())
	prefix := base + ":" + name + ":" + rand.Text()[:10]
	tb.Cleanup(func() { deletePrefix(tb, client, prefix) })
	return prefix
}

// deletePrefix deletes the keys under prefix. A failure is only logged:
// the keys are the test's own and nothing reads them again.
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
