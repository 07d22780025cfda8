package redisstore

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// roundTrips counts what the client sends to the server: one per command
// and one per pipeline, whatever the pipeline holds.
type roundTrips struct{ n atomic.Int64 }

func (h *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmd)
	}
}

func (h *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.n.Add(1)
		return next(ctx, cmds)
	}
}

// counted returns a store whose client counts round trips, with its
// scripts already in the server's cache, and the counter reset to zero.
func counted(b *testing.B) (*Store, *redis.Client, *roundTrips) {
	s, client := newTestStore(b)
	hook := &roundTrips{}
	client.AddHook(hook)
	ctx := context.Background()
	c, err := s.Claim(ctx, "warm", "fp", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Complete(ctx, "warm", c.Token, paymentRecord()); err != nil {
		b.Fatal(err)
	}
	hook.n.Store(0)
	return s, client, hook
}

// paymentRecord is a typical stored response: a created payment, with
// the headers an API sends along.
func paymentRecord() *idempotency.Record {
	return &idempotency.Record{
		Fingerprint: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		Status:      201,
		Header: http.Header{
			"Content-Type": {"application/json"},
			"Location":     {"/v1/payments/pay_123"},
			"Link":         {"<a>; rel=a", "<b>; rel=b"},
		},
		Body:      []byte(`{"id":"pay_123","amount":4200,"currency":"eur","status":"succeeded","created":1795740000}` + strings.Repeat(" ", 100)),
		CreatedAt: time.Now(),
		ExpiresAt: time.Now().Add(time.Hour),
	}
}

// report publishes round-trips/op and fails when it exceeds limit: the
// round-trip budget is the store's design, not a tuning detail.
func report(b *testing.B, hook *roundTrips, limit float64) {
	rt := float64(hook.n.Load()) / float64(b.N)
	b.ReportMetric(rt, "round-trips/op")
	if rt > limit {
		b.Fatalf("%.2f round trips per op, budget %v", rt, limit)
	}
}

// BenchmarkFirstRequest is a miss: claim a new key, then complete it.
func BenchmarkFirstRequest(b *testing.B) {
	s, _, hook := counted(b)
	ctx := context.Background()
	rec := paymentRecord()
	b.ResetTimer()
	for i := range b.N {
		key := "miss-" + strconv.Itoa(i)
		c, err := s.Claim(ctx, key, rec.Fingerprint, time.Minute)
		if err != nil || c.State != idempotency.Acquired {
			b.Fatalf("claim %s: %+v, %v", key, c, err)
		}
		if err := s.Complete(ctx, key, c.Token, rec); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, hook, 2)
}

// BenchmarkReplay is a hit: claim a completed key and decode its record.
func BenchmarkReplay(b *testing.B) {
	s, _, hook := counted(b)
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		c, err := s.Claim(ctx, "warm", "fp", time.Minute)
		if err != nil || c.State != idempotency.Completed {
			b.Fatalf("replay: %+v, %v", c, err)
		}
	}
	b.StopTimer()
	report(b, hook, 1)
}

// BenchmarkRawSET and BenchmarkRawGET are the floor: one plain command
// with a value the size of the benchmark's record.
func BenchmarkRawSET(b *testing.B) {
	s, client, hook := counted(b)
	ctx := context.Background()
	val := encodeRecord(paymentRecord())
	b.ResetTimer()
	for i := range b.N {
		if err := client.Set(ctx, s.prefix+":raw-"+strconv.Itoa(i), val, time.Minute).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, hook, 1)
}

func BenchmarkRawGET(b *testing.B) {
	s, client, hook := counted(b)
	ctx := context.Background()
	key := s.prefix + ":raw"
	client.Set(ctx, key, encodeRecord(paymentRecord()), time.Minute)
	hook.n.Store(0)
	b.ResetTimer()
	for range b.N {
		if err := client.Get(ctx, key).Err(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	report(b, hook, 1)
}
