package redisstore

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/internal/testsvc"
)

// freePort returns a TCP port on 127.0.0.1 that nothing listens on.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// unreachableClient points at a port nobody listens on, retrying nothing.
func unreachableClient(tb testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr: fmt.Sprintf("127.0.0.1:%d", freePort(tb)), MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond,
	})
	tb.Cleanup(func() { c.Close() })
	return c
}

// privateRedis is a redis-server of the test's own, which it may stop and
// start again on the same port.
type privateRedis struct {
	tb      testing.TB
	port    int
	cmd     *exec.Cmd
	dir     string
	persist bool // fsync every write to an append-only file in dir
	extra   []string
}

// startPrivateRedis starts redis-server on a free port and stops it when
// the test ends. With persist, every write is fsynced to an append-only
// file, so a killed and restarted server still has its data; without it,
// a restart starts empty. It skips (fails under CI) when the binary is
// missing.
func startPrivateRedis(tb testing.TB, persist bool, extra ...string) *privateRedis {
	tb.Helper()
	testsvc.Tool(tb, "redis-server", "install Redis (the redis-server package)")
	r := &privateRedis{tb: tb, port: freePort(tb), dir: tb.TempDir(), persist: persist, extra: extra}
	r.start()
	tb.Cleanup(r.stop)
	return r
}

func (r *privateRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *privateRedis) start() {
	r.tb.Helper()
	aof := []string{"--appendonly", "no"}
	if r.persist {
		aof = []string{"--appendonly", "yes", "--appendfsync", "always"}
	}
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--daemonize", "no", "--dir", r.dir}, aof...)
	args = append(args, r.extra...)
	r.cmd = exec.Command("redis-server", args...)
	if err := r.cmd.Start(); err != nil {
		r.tb.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr(), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.tb.Fatalf("redis-server on %s did not come up", r.addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits until it is gone, so the port is free.
func (r *privateRedis) stop() {
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
	r.cmd = nil
}
