package redisstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ErrUnsafeServer is wrapped by the error a [Store] in [CheckRefuse] mode
// returns, and by [Report.Err], when the Redis server is set up to lose
// idempotency keys (eviction, or no persistence).
var ErrUnsafeServer = errors.New("redisstore: the Redis server is set up to lose idempotency keys")

// Status grades one setting of the server.
type Status int

const (
	// StatusOK: the setting keeps the store's keys.
	StatusOK Status = iota
	// StatusWeak: the keys are kept, but a crash loses the most recent
	// ones, or memory is nearly full. Reported, never refused.
	StatusWeak
	// StatusUnknown: the server would not say (CONFIG disabled or renamed,
	// as on managed services). Reported, never refused.
	StatusUnknown
	// StatusUnsafe: the server will lose keys. Refused by [CheckRefuse].
	StatusUnsafe
)

func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusWeak:
		return "weak"
	case StatusUnknown:
		return "unknown"
	case StatusUnsafe:
		return "unsafe"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Finding is the verdict on one setting of one server.
type Finding struct {
	Node    string // the server's address; for a Cluster, one per master
	Setting string // "maxmemory-policy", "persistence" or "maxmemory"
	Value   string // the values read, e.g. "maxmemory=10485760 maxmemory-policy=allkeys-lru"
	Status  Status
	Cost    string // what the setting costs an idempotency store; empty when OK
	Fix     string // how to fix it; empty when OK
}

// String is one self-contained line, fit for a log or a probe's output.
func (f Finding) String() string {
	var b strings.Builder
	if f.Node != "" {
		b.WriteString(f.Node + ": ")
	}
	fmt.Fprintf(&b, "%s: %s (%s)", f.Setting, f.Value, f.Status)
	if f.Cost != "" {
		b.WriteString(": " + f.Cost)
	}
	if f.Fix != "" {
		b.WriteString(". Fix: " + f.Fix)
	}
	return b.String()
}

// Report is what [CheckServer] found, grouped by node.
type Report struct {
	Findings []Finding
}

// Unsafe returns the findings with StatusUnsafe.
func (r Report) Unsafe() []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Status == StatusUnsafe {
			out = append(out, f)
		}
	}
	return out
}

// Err is nil unless some finding is unsafe; then it wraps
// [ErrUnsafeServer] and names each unsafe setting. Weak and unknown
// settings never make an error, so a probe may call it directly.
func (r Report) Err() error {
	bad := r.Unsafe()
	if len(bad) == 0 {
		return nil
	}
	lines := make([]string, len(bad))
	for i, f := range bad {
		lines[i] = f.String()
	}
	return fmt.Errorf("%w: %s", ErrUnsafeServer, strings.Join(lines, "; "))
}

// String lists every finding, one a line.
func (r Report) String() string {
	lines := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// CheckServer reads the settings that decide whether Redis keeps the
// store's keys (maxmemory, maxmemory-policy, appendonly, appendfsync,
// save, and INFO memory and persistence, in one round trip per node) and
// grades them. A [redis.ClusterClient] is checked on every master, a
// [redis.Ring] on every shard. Where CONFIG is disabled, INFO still gives
// the eviction policy and whether AOF is on; what neither tells is
// StatusUnknown. The error is for a server that cannot be asked at all
// (network, context); the report then holds the nodes that answered.
// Operators can call it from a readiness probe, with [Report.Err].
func CheckServer(ctx context.Context, client redis.UniversalClient) (Report, error) {
	each := func(fn func(context.Context, *redis.Client) error) error {
		return fn(ctx, nil)
	}
	switch c := client.(type) {
	case *redis.ClusterClient:
		each = func(fn func(context.Context, *redis.Client) error) error { return c.ForEachMaster(ctx, fn) }
	case *redis.Ring:
		each = func(fn func(context.Context, *redis.Client) error) error { return c.ForEachShard(ctx, fn) }
	}
	var mu sync.Mutex
	byNode := map[string][]Finding{}
	err := each(func(ctx context.Context, node *redis.Client) error {
		var cmd redis.Cmdable = client
		addr := ""
		if node != nil {
			cmd, addr = node, node.Options().Addr
		} else if c, ok := client.(*redis.Client); ok {
			addr = c.Options().Addr
		}
		fs, err := checkNode(ctx, cmd, addr)
		mu.Lock()
		defer mu.Unlock()
		byNode[addr] = fs
		if err != nil {
			return fmt.Errorf("check %s: %w", addr, err)
		}
		return nil
	})
	var rep Report
	for _, addr := range slices.Sorted(maps.Keys(byNode)) {
		rep.Findings = append(rep.Findings, byNode[addr]...)
	}
	if err != nil {
		return rep, fmt.Errorf("redisstore: %w", err)
	}
	return rep, nil
}

// configNames are the settings read with CONFIG GET, one each, since a
// server before 7.0 takes a single pattern.
var configNames = []string{"maxmemory", "maxmemory-policy", "appendonly", "appendfsync", "save"}

// checkNode reads one server's settings in one pipeline and grades them.
// A CONFIG or INFO refused by the server (renamed, ACL) leaves its
// settings unknown; any other failure is returned.
func checkNode(ctx context.Context, c redis.Cmdable, addr string) ([]Finding, error) {
	pipe := c.Pipeline()
	cfg := make([]*redis.MapStringStringCmd, len(configNames))
	for i, name := range configNames {
		cfg[i] = pipe.ConfigGet(ctx, name)
	}
	mem, pers := pipe.Info(ctx, "memory"), pipe.Info(ctx, "persistence")
	_, _ = pipe.Exec(ctx) // each command's error is looked at below

	set := settings{}
	for _, cmd := range []*redis.StringCmd{mem, pers} {
		if err := refusedOrNil(cmd.Err()); err != nil {
			return nil, err
		}
		for k, v := range parseInfo(cmd.Val()) {
			set[k] = v
		}
	}
	// INFO's names differ from CONFIG's; CONFIG wins where both answer.
	if v, ok := set["maxmemory_policy"]; ok {
		set["maxmemory-policy"] = v
	}
	if v, ok := set["aof_enabled"]; ok {
		set["appendonly"] = map[string]string{"1": "yes", "0": "no"}[v]
	}
	for i, name := range configNames {
		if err := refusedOrNil(cfg[i].Err()); err != nil {
			return nil, err
		}
		if v, ok := cfg[i].Val()[name]; ok {
			set[name] = v
		}
	}
	fs := grade(set)
	for i := range fs {
		fs[i].Node = addr
	}
	return fs, nil
}

// refusedOrNil drops an error the server itself replied with (unknown
// command, no permission): the setting just stays unknown.
func refusedOrNil(err error) error {
	var rerr redis.Error
	if err == nil || errors.As(err, &rerr) {
		return nil
	}
	return err
}

// parseInfo reads the "name:value" lines of an INFO reply.
func parseInfo(s string) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}
