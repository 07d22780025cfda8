package redisstore

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/internal/testsvc"
	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// startCluster starts a three-node Redis Cluster of the test's own, so
// the slots really are spread over nodes: a script whose keys fell into
// different slots would fail with CROSSSLOT.
func startCluster(t *testing.T) []string {
	t.Helper()
	testsvc.Tool(t, "redis-cli", "install Redis (the redis-tools package)")
	var addrs []string
	for range 3 {
		n := startPrivateRedis(t, false, "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		addrs = append(addrs, n.addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		for !strings.Contains(c.ClusterInfo(context.Background()).Val(), "cluster_state:ok") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s never reached cluster_state:ok", addr)
			}
			time.Sleep(50 * time.Millisecond)
		}
		c.Close()
	}
	return addrs
}

// TestCluster runs the contract suite through a ClusterClient: the same
// code path as a single node, with every script's keys in one slot.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	addrs := startCluster(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { client.Close() })

	// Keys must really spread: otherwise the cluster proves nothing.
	s := New(client, WithPrefix("spread"))
	nodes := map[string]bool{}
	ctx := context.Background()
	for i := range 32 {
		key := s.keys(string(rune('a'+i%26)) + strings.Repeat("x", i))[0]
		slot := client.ClusterKeySlot(ctx, key).Val()
		for _, sl := range client.ClusterSlots(ctx).Val() {
			if slot >= int64(sl.Start) && slot <= int64(sl.End) {
				nodes[sl.Nodes[0].Addr] = true
			}
		}
	}
	if len(nodes) < 2 {
		t.Fatalf("32 keys landed on %d node(s); the cluster is not spread", len(nodes))
	}

	storetest.RunWith(t, storetest.Options{Rounds: 100}, func(t *testing.T) idempotency.ClaimStore {
		return New(client, WithPrefix(testPrefix(t, client)))
	})
	storetest.RunSeed(t, func(t *testing.T) idempotency.Store {
		return New(client, WithPrefix(testPrefix(t, client)))
	})
}

// TestReplicatedCluster runs the contract suites through a ClusterClient
// on a cluster with a replica behind every master, as production runs
// one, and then two service processes sharing it.
func TestReplicatedCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a six-node cluster")
	}
	c := startReplicatedCluster(t)
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.addrs()})
	t.Cleanup(func() { client.Close() })

	storetest.RunWith(t, storetest.Options{Rounds: 100}, func(t *testing.T) idempotency.ClaimStore {
		return New(client, WithPrefix(testPrefix(t, client)))
	})
	storetest.RunSeed(t, func(t *testing.T) idempotency.Store {
		return New(client, WithPrefix(testPrefix(t, client)))
	})
	t.Run("ReplicaAck", func(t *testing.T) {
		storetest.RunWith(t, storetest.Options{Rounds: 20}, func(t *testing.T) idempotency.ClaimStore {
			return New(client, WithPrefix(testPrefix(t, client)), WithReplicaAck(1, time.Second))
		})
	})
	// What the suites wrote reached the replicas: the cluster under test
	// really replicates.
	c.waitSettled(10 * time.Second)
	t.Run("TwoProcesses", func(t *testing.T) { testTwoProcesses(t, c) })
}
