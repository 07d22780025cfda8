package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// TestReplicaAckWithoutReplicas: on a server with no replica, a claim
// that asks for one acknowledgement fails with ErrReplicaAck after the
// timeout, and leaves the key free; a completion fails the same way but
// its record stays on the master.
func TestReplicaAckWithoutReplicas(t *testing.T) {
	srv := startPrivateRedis(t, false)
	client := redis.NewClient(&redis.Options{Addr: srv.addr()})
	defer client.Close()
	ctx := context.Background()
	acked := New(client, WithPrefix("ack"), WithReplicaAck(1, 50*time.Millisecond))
	plain := New(client, WithPrefix("ack"))

	start := time.Now()
	if c, err := acked.Claim(ctx, "k", "fp", time.Minute); !errors.Is(err, ErrReplicaAck) {
		t.Fatalf("claim with no replica to acknowledge it: %+v, %v; want ErrReplicaAck", c, err)
	}
	if waited := time.Since(start); waited < 50*time.Millisecond {
		t.Fatalf("the claim failed after %v, before WAIT's timeout", waited)
	}
	c, err := plain.Claim(ctx, "k", "fp", time.Minute)
	if err != nil || c.State != idempotency.Acquired {
		t.Fatalf("the key after the refused claim: %+v, %v; want it free", c, err)
	}
	if err := acked.Complete(ctx, "k", c.Token, sampleRecord("fp")); !errors.Is(err, ErrReplicaAck) {
		t.Fatalf("complete with no replica: %v, want ErrReplicaAck", err)
	}
	if got, err := plain.Claim(ctx, "k", "fp", time.Minute); err != nil || got.State != idempotency.Completed {
		t.Fatalf("after the unacknowledged completion: %+v, %v; want the record on the master", got, err)
	}
	// Zero replicas is off: nothing waits.
	off := New(client, WithPrefix("ack-off"), WithReplicaAck(0, 0))
	if c, err := off.Claim(ctx, "k", "fp", time.Minute); err != nil || c.State != idempotency.Acquired {
		t.Fatalf("WithReplicaAck(0, 0): %+v, %v", c, err)
	}
}

func TestReplicaAckInvalid(t *testing.T) {
	client := unreachableClient(t)
	for _, o := range []Option{WithReplicaAck(-1, time.Second), WithReplicaAck(1, 0)} {
		if _, err := New(client, o).Claim(context.Background(), "k", "fp", time.Second); err == nil ||
			errors.Is(err, ErrReplicaAck) {
			t.Errorf("claim with an invalid WithReplicaAck: %v, want the option's error", err)
		}
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	s := New(ring, WithReplicaAck(1, time.Second), WithServerCheck(CheckOff))
	if _, err := s.Claim(context.Background(), "k", "fp", time.Second); err == nil {
		t.Error("WithReplicaAck on a Ring: no error")
	}
}

// BenchmarkReplicaAck measures a first request's two store calls (claim,
// complete) on a replicated cluster, with and without waiting for the
// replica:
//
//	go test -run '^$' -bench ReplicaAck ./runtime/redisstore
func BenchmarkReplicaAck(b *testing.B) {
	c := startReplicatedCluster(b)
	client := c.client()
	for _, bc := range []struct {
		name string
		opts []Option
	}{
		{"off", nil},
		{"one-replica", []Option{WithReplicaAck(1, time.Second)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := New(client, append([]Option{WithPrefix("bench-ack-" + bc.name + "-" + rand.Text()[:8])}, bc.opts...)...)
			ctx := context.Background()
			rec := sampleRecord("fp")
			i := 0
			for b.Loop() {
				i++
				key := fmt.Sprint(i)
				cl, err := s.Claim(ctx, key, "fp", time.Minute)
				if err != nil || cl.State != idempotency.Acquired {
					b.Fatalf("claim: %+v, %v", cl, err)
				}
				if err := s.Complete(ctx, key, cl.Token, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
