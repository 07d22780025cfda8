package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrReplicaAck is wrapped by the error of a claim or a completion that
// too few replicas acknowledged in time (see [WithReplicaAck]).
var ErrReplicaAck = errors.New("redisstore: too few replicas acknowledged the write")

// replicaAck is the WithReplicaAck setting; zero replicas means off.
type replicaAck struct {
	replicas int
	timeout  time.Duration
}

// WithReplicaAck makes a claim and a completion wait, with WAIT, until
// replicas replicas of the key's master have them, for at most timeout.
// A claim that too few acknowledged is released again and fails with
// [ErrReplicaAck], so the middleware answers 503 instead of running the
// handler on a claim that a failover could lose (which would let a retry
// run it at the same time). A completion that too few acknowledged
// returns ErrReplicaAck too; the record stays on the master, and the
// middleware reports a store error.
//
// It costs each first request one replication round trip on top of its
// two calls, and makes claims fail while replicas cannot answer, so set
// replicas no higher than the number that can be lost. Renewals do not
// wait. The client must be a [redis.Client] (a single node or Sentinel)
// or a [redis.ClusterClient]: WAIT counts the writes of one connection,
// and these can run both commands on one.
func WithReplicaAck(replicas int, timeout time.Duration) Option {
	return func(s *Store) {
		if replicas < 0 || (replicas > 0 && timeout <= 0) {
			s.optErr = fmt.Errorf("redisstore: WithReplicaAck(%d, %v): want replicas >= 0 and a positive timeout",
				replicas, timeout)
			return
		}
		s.ack = replicaAck{replicas: replicas, timeout: timeout}
	}
}

// run runs script on keys, followed by WAIT on the same connection when
// WithReplicaAck is on; acked says whether enough replicas answered
// (always true when it is off).
func (s *Store) run(ctx context.Context, script *redis.Script, keys []string, args ...any) (cmd *redis.Cmd, acked bool, err error) {
	if s.ack.replicas == 0 {
		cmd = script.Run(ctx, s.client, keys, args...)
		return cmd, true, cmd.Err()
	}
	node, err := s.nodeFor(ctx, keys[0])
	if err != nil {
		return nil, false, err
	}
	// WAIT counts the writes of its own connection, so both commands
	// take one from the pool and give it back after.
	conn := node.Conn()
	defer conn.Close()
	cmd = script.Run(ctx, conn, keys, args...)
	if err := cmd.Err(); err != nil {
		return cmd, false, err
	}
	n, err := conn.Wait(ctx, s.ack.replicas, s.ack.timeout).Result()
	if err != nil {
		return cmd, false, err
	}
	return cmd, n >= int64(s.ack.replicas), nil
}

// nodeFor returns a client of the one node that serves key.
func (s *Store) nodeFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := s.client.(type) {
	case *redis.Client:
		return c, nil
	case *redis.ClusterClient:
		return c.MasterForKey(ctx, key)
	}
	return nil, fmt.Errorf("redisstore: WithReplicaAck needs a *redis.Client or *redis.ClusterClient, not %T", s.client)
}
