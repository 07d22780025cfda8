package redisstore

import (
	"context"
	"errors"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestCheckClusterEveryMaster: through a ClusterClient the check reads
// every master, so one misconfigured node among safe ones is found (a
// check of whichever node answers first would miss it two times in three).
func TestCheckClusterEveryMaster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	addrs := startCluster(t)
	ctx := context.Background()
	for i, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		// An RDB schedule is weak, not unsafe; unlike appendonly yes it
		// forks no rewrite that could outlive the killed server.
		settings := []string{"save", "3600 1"}
		if i == 1 {
			settings = append(settings, "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru")
		}
		for j := 0; j < len(settings); j += 2 {
			if err := c.ConfigSet(ctx, settings[j], settings[j+1]).Err(); err != nil {
				t.Fatalf("%s: CONFIG SET %s: %v", addr, settings[j], err)
			}
		}
		c.Close()
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { client.Close() })

	rep, err := CheckServer(ctx, client)
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]bool{}
	for _, f := range rep.Findings {
		nodes[f.Node] = true
	}
	if len(nodes) != 3 {
		t.Fatalf("findings cover %d nodes, want 3:\n%s", len(nodes), rep)
	}
	bad := rep.Unsafe()
	if len(bad) != 1 || bad[0].Node != addrs[1] || bad[0].Setting != "maxmemory-policy" {
		t.Fatalf("want exactly the eviction policy of %s unsafe, got:\n%s", addrs[1], rep)
	}
	if err := rep.Err(); !errors.Is(err, ErrUnsafeServer) {
		t.Fatalf("Err() = %v, want ErrUnsafeServer", err)
	}
}
