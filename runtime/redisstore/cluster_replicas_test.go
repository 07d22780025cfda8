package redisstore

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// clusterNodeTimeout is the replicated cluster's cluster-node-timeout: how
// long a master may be silent before its replica takes over. Short, so a
// failover test waits seconds rather than the default fifteen.
const clusterNodeTimeout = 1000 * time.Millisecond

// replicatedCluster is a Redis Cluster of the test's own: three masters,
// each with one replica, every node a redis-server on a free port with a
// directory of its own. A test may kill, pause and restart any node.
type replicatedCluster struct {
	tb    testing.TB
	nodes map[string]*privateRedis // by address
	order []string                 // the addresses, in start order
	plain map[string]*redis.Client // direct's clients, by address
}

// startReplicatedCluster starts six nodes, joins them with redis-cli
// --cluster create --cluster-replicas 1, and waits until every node says
// cluster_state:ok and every replica is in sync with its master. The
// nodes stop when the test ends.
func startReplicatedCluster(tb testing.TB) *replicatedCluster {
	tb.Helper()
	testsvc.Tool(tb, "redis-cli", "install Redis (the redis-tools package)")
	c := &replicatedCluster{tb: tb, nodes: map[string]*privateRedis{}, plain: map[string]*redis.Client{}}
	for range 6 {
		n := startPrivateRedis(tb, false,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", strconv.Itoa(int(clusterNodeTimeout.Milliseconds())),
			// A replica's first sync streams at once instead of after the
			// default five-second delay.
			"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0",
			"--repl-ping-replica-period", "1")
		c.nodes[n.addr()] = n
		c.order = append(c.order, n.addr())
	}
	args := append([]string{"--cluster", "create"}, c.order...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		tb.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitSettled(20 * time.Second)
	return c
}

func (c *replicatedCluster) addrs() []string { return c.order }

// client is a ClusterClient as a service should configure one for
// failover: short timeouts, so a dead master costs a request a second,
// not a minute, and a slot map reloaded every second. go-redis reloads
// it on a MOVED reply, but a master that crashed sends none: with the
// default interval (60s) its slots keep failing until the minute is up
// (measured: 503 for the 30s a retry tried).
func (c *replicatedCluster) client(tune ...func(*redis.ClusterOptions)) *redis.ClusterClient {
	opt := &redis.ClusterOptions{
		Addrs:       c.order,
		DialTimeout: 300 * time.Millisecond,
		ReadTimeout: time.Second, WriteTimeout: time.Second,
		ClusterStateReloadInterval: time.Second,
	}
	for _, f := range tune {
		f(opt)
	}
	cl := redis.NewClusterClient(opt)
	c.tb.Cleanup(func() { cl.Close() })
	return cl
}

// clusterNode is one line of CLUSTER NODES.
type clusterNode struct {
	id, addr, masterID string
	master, failed     bool
	slots              [][2]int64
}

// topology reads CLUSTER NODES from the first node that answers.
func (c *replicatedCluster) topology(ctx context.Context) ([]clusterNode, error) {
	var lastErr error
	for _, addr := range c.order {
		out, err := c.direct(addr).ClusterNodes(ctx).Result()
		if err != nil {
			lastErr = err
			continue
		}
		return parseClusterNodes(out), nil
	}
	return nil, fmt.Errorf("no node answered CLUSTER NODES: %w", lastErr)
}

// parseClusterNodes reads "id ip:port@bus flags master ping pong epoch
// state slot..." lines.
func parseClusterNodes(out string) []clusterNode {
	var nodes []clusterNode
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			continue
		}
		n := clusterNode{id: f[0], addr: strings.Split(f[1], "@")[0], masterID: f[3]}
		for _, flag := range strings.Split(f[2], ",") {
			switch flag {
			case "master":
				n.master = true
			case "fail", "fail?":
				n.failed = true
			}
		}
		for _, r := range f[8:] {
			if strings.HasPrefix(r, "[") { // a slot being migrated
				continue
			}
			lo, hi, ok := strings.Cut(r, "-")
			if !ok {
				hi = lo
			}
			a, _ := strconv.ParseInt(lo, 10, 64)
			b, _ := strconv.ParseInt(hi, 10, 64)
			n.slots = append(n.slots, [2]int64{a, b})
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// owner returns the addresses of the master that serves key's slot and of
// its replica, as the cluster sees them now.
func (c *replicatedCluster) owner(ctx context.Context, key string) (master, replica string) {
	c.tb.Helper()
	slot, err := c.direct(c.order[0]).ClusterKeySlot(ctx, key).Result()
	if err != nil {
		c.tb.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	nodes, err := c.topology(ctx)
	if err != nil {
		c.tb.Fatal(err)
	}
	var masterID string
	for _, n := range nodes {
		for _, r := range n.slots {
			if n.master && !n.failed && slot >= r[0] && slot <= r[1] {
				master, masterID = n.addr, n.id
			}
		}
	}
	for _, n := range nodes {
		if masterID != "" && n.masterID == masterID && !n.failed {
			replica = n.addr
		}
	}
	if master == "" || replica == "" {
		c.tb.Fatalf("slot %d of %q: master %q, replica %q in\n%+v", slot, key, master, replica, nodes)
	}
	return master, replica
}

// direct is a plain client of one node, retrying nothing, closed when
// the test ends. Only the test's own goroutine calls it.
func (c *replicatedCluster) direct(addr string) *redis.Client {
	if cl, ok := c.plain[addr]; ok {
		return cl
	}
	cl := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1,
		DialTimeout: 300 * time.Millisecond, ReadTimeout: time.Second})
	c.plain[addr] = cl
	c.tb.Cleanup(func() { cl.Close() })
	return cl
}

// whole reports why the cluster is not yet whole, or "" when every node
// runs, says cluster_state:ok, and sees three masters with slots and
// three replicas, none failing; and each master has its replica online.
func (c *replicatedCluster) whole(ctx context.Context) string {
	masters := 0
	for _, addr := range c.order {
		cl := c.direct(addr)
		if info := cl.ClusterInfo(ctx).Val(); !strings.Contains(info, "cluster_state:ok") {
			return addr + " is not cluster_state:ok"
		}
		if why := agreed(cl.ClusterNodes(ctx).Val()); why != "" {
			return addr + " sees " + why
		}
		repl := cl.Info(ctx, "replication").Val()
		if !strings.Contains(repl, "role:master") {
			continue
		}
		masters++
		if !strings.Contains(repl, "connected_slaves:1") || !strings.Contains(infoField(repl, "slave0"), "state=online") {
			return addr + " has no replica online"
		}
	}
	if masters != 3 {
		return fmt.Sprintf("%d masters, want 3", masters)
	}
	return ""
}

// agreed checks one node's CLUSTER NODES: three masters serving slots,
// three replicas, nobody failing.
func agreed(out string) string {
	masters, replicas := 0, 0
	for _, n := range parseClusterNodes(out) {
		switch {
		case n.failed:
			return n.addr + " failing"
		case n.master && len(n.slots) == 0:
			return n.addr + " a master without slots"
		case n.master:
			masters++
		default:
			replicas++
		}
	}
	if masters != 3 || replicas != 3 {
		return fmt.Sprintf("%d masters and %d replicas", masters, replicas)
	}
	return ""
}

// waitSettled waits until the cluster is whole and every replica has
// acknowledged everything its master had written when the wait began.
func (c *replicatedCluster) waitSettled(within time.Duration) {
	c.tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(within)
	for why := c.whole(ctx); why != ""; why = c.whole(ctx) {
		if time.Now().After(deadline) {
			c.tb.Fatalf("the cluster did not settle within %v: %s", within, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, addr := range c.order {
		c.waitReplicated(addr, deadline)
	}
}

// waitReplicated waits, if addr is a master, until its replica has
// acknowledged the master's replication offset as it is now.
func (c *replicatedCluster) waitReplicated(addr string, deadline time.Time) {
	c.tb.Helper()
	cl := c.direct(addr)
	repl := cl.Info(context.Background(), "replication").Val()
	if !strings.Contains(repl, "role:master") {
		return
	}
	want, _ := strconv.ParseInt(infoField(repl, "master_repl_offset"), 10, 64)
	for {
		if replicaOffset(repl) >= want {
			return
		}
		if time.Now().After(deadline) {
			c.tb.Fatalf("the replica of %s did not reach offset %d:\n%s", addr, want, repl)
		}
		time.Sleep(20 * time.Millisecond)
		repl = cl.Info(context.Background(), "replication").Val()
	}
}

// replicaOffset reads the offset of slave0 in a master's INFO
// replication ("ip=…,port=…,state=online,offset=123,lag=0"), or -1.
func replicaOffset(repl string) int64 {
	for _, kv := range strings.Split(infoField(repl, "slave0"), ",") {
		if v, ok := strings.CutPrefix(kv, "offset="); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// infoField returns the value of "name:value" in an INFO reply.
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// kill stops a node hard (SIGKILL), as a crash would.
func (c *replicatedCluster) kill(addr string) { c.nodes[addr].stop() }

// restart starts a killed node again on its port and directory; its
// nodes.conf makes it rejoin, as a replica of whoever took its slots.
func (c *replicatedCluster) restart(addr string) { c.nodes[addr].start() }

// pause and resume freeze a node (SIGSTOP, SIGCONT) as a long GC pause, a
// swapped-out VM or DEBUG SLEEP would: it holds its sockets but answers
// nothing.
func (c *replicatedCluster) pause(addr string) {
	if err := c.nodes[addr].cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		c.tb.Fatal(err)
	}
}

func (c *replicatedCluster) resume(addr string) {
	if err := c.nodes[addr].cmd.Process.Signal(syscall.SIGCONT); err != nil {
		c.tb.Fatal(err)
	}
}

// waitMaster waits until addr is a master again, on every node's view,
// and returns how long it took.
func (c *replicatedCluster) waitMaster(addr string, within time.Duration) time.Duration {
	c.tb.Helper()
	ctx := context.Background()
	start := time.Now()
	for {
		repl := c.direct(addr).Info(ctx, "replication").Val()
		if strings.Contains(repl, "role:master") {
			return time.Since(start)
		}
		if time.Since(start) > within {
			c.tb.Fatalf("%s did not become a master within %v:\n%s", addr, within, repl)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
