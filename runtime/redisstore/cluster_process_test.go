package redisstore

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// The environment of a service process: the test binary started again
// with -test.run=TestClusterServiceProcess, which then serves instead of
// testing (the helper-process pattern of os/exec's own tests).
const (
	envServiceAddrs  = "IDEMGEN_CLUSTER_SERVICE_ADDRS"  // comma-separated cluster nodes
	envServicePrefix = "IDEMGEN_CLUSTER_SERVICE_PREFIX" // the store's prefix
	envServiceLog    = "IDEMGEN_CLUSTER_SERVICE_LOG"    // file the handler appends its runs to
)

// TestClusterServiceProcess is not a test: run by startServiceProcess, it
// serves POST /payments behind the middleware on a ClusterClient until it
// is killed. The handler appends "<pid> <key>" to the run log (one write,
// O_APPEND, so two processes never tear a line), works 100ms, and answers
// 201 naming its process.
func TestClusterServiceProcess(t *testing.T) {
	addrs := os.Getenv(envServiceAddrs)
	if addrs == "" {
		t.Skip("a helper process of TestReplicatedCluster, not a test")
	}
	runs, err := os.OpenFile(os.Getenv(envServiceLog), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClusterClient(&redis.ClusterOptions{Addrs: strings.Split(addrs, ",")})
	store := New(client, WithPrefix(os.Getenv(envServicePrefix)))
	pid := os.Getpid()
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		key := r.Header.Get(idempotency.HeaderIdempotencyKey)
		fmt.Fprintf(runs, "%d %s\n", pid, key)
		time.Sleep(100 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"key":%q,"pid":%d}`, key, pid)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	t.Fatal(http.Serve(ln, idempotency.New(store).Handler(handler)))
}

// startServiceProcess starts a service process on the cluster and
// returns its URL; it is killed when the test ends.
func startServiceProcess(t *testing.T, addrs []string, prefix, runLog string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterServiceProcess$")
	cmd.Env = append(os.Environ(), envServiceAddrs+"="+strings.Join(addrs, ","),
		envServicePrefix+"="+prefix, envServiceLog+"="+runLog)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
		io.Copy(io.Discard, stdout)
	}()
	select {
	case l := <-line:
		addr, ok := strings.CutPrefix(l, "listening ")
		if !ok {
			t.Fatalf("service process said %q", l)
		}
		return "http://" + addr
	case <-time.After(20 * time.Second):
		t.Fatal("service process did not start within 20s")
	}
	return ""
}

// runsOf counts the lines of the run log for key, by process.
func runsOf(t *testing.T, runLog, key string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(runLog)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, line := range strings.Split(string(data), "\n") {
		if pid, k, ok := strings.Cut(line, " "); ok && k == key {
			n[pid]++
		}
	}
	return n
}

// testTwoProcesses runs two service processes on the cluster and sends
// each of several keys (landing on different masters) 60 times at once,
// split between them: across both processes the handler runs once per
// key, every other answer is a replay of that run or a 409, and
// afterwards both processes replay it.
func testTwoProcesses(t *testing.T, c *replicatedCluster) {
	prefix := "twoproc"
	runLog := t.TempDir() + "/runs"
	urls := []string{
		startServiceProcess(t, c.addrs(), prefix, runLog),
		startServiceProcess(t, c.addrs(), prefix, runLog),
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	send := func(url, key string) answer {
		req, _ := http.NewRequest(http.MethodPost, url+"/payments", strings.NewReader(`{"amount":42}`))
		req.Header.Set(idempotency.HeaderIdempotencyKey, key)
		resp, err := client.Do(req)
		if err != nil {
			return answer{err: err}
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return answer{status: resp.StatusCode, body: string(body), err: err,
			replayed: resp.Header.Get(idempotency.HeaderIdempotencyReplayed) == "true"}
	}

	const keys, perKey = 6, 60
	ctx := context.Background()
	masters := map[string]bool{}
	for k := range keys {
		key := fmt.Sprintf("%d_two-process-%d", time.Now().UnixNano(), k)
		answers := make([]answer, perKey)
		var wg sync.WaitGroup
		for i := range perKey {
			wg.Go(func() {
				// Spread the requests over about twice the handler's
				// time, so some find it running and some find it done.
				time.Sleep(time.Duration(i%20) * 10 * time.Millisecond)
				answers[i] = send(urls[i%2], key)
			})
		}
		wg.Wait()

		var winner *answer
		conflicts, replays := 0, 0
		for i := range answers {
			a := &answers[i]
			switch {
			case a.err != nil:
				t.Fatalf("key %s, request %d: %v", key, i, a.err)
			case a.status == http.StatusCreated && !a.replayed:
				if winner != nil {
					t.Fatalf("key %s ran twice: %s and %s", key, winner.body, a.body)
				}
				winner = a
			case a.status == http.StatusCreated:
				replays++
			case a.status == http.StatusConflict:
				conflicts++
			default:
				t.Fatalf("key %s, request %d: %d %s", key, i, a.status, a.body)
			}
		}
		if winner == nil {
			t.Fatalf("key %s: no request ran the handler", key)
		}
		for i, a := range answers {
			if a.replayed && a.body != winner.body {
				t.Fatalf("key %s, replay %d: %s, want the run's %s", key, i, a.body, winner.body)
			}
		}
		if runs := runsOf(t, runLog, key); len(runs) != 1 || sum(runs) != 1 {
			t.Fatalf("key %s: handler runs by process %v, want one in all", key, runs)
		}
		for _, url := range urls {
			if a := send(url, key); !a.replayed || a.body != winner.body {
				t.Fatalf("key %s at %s afterwards: %+v, want a replay of %s", key, url, a, winner.body)
			}
		}
		t.Logf("key %s: 1 run, %d replays, %d conflicts", key, replays, conflicts)
	}
	// The keys must have landed on more than one master, or the test
	// proved no more than a single node would.
	for _, addr := range c.addrs() {
		cl := c.direct(addr)
		if strings.Contains(cl.Info(ctx, "replication").Val(), "role:master") &&
			len(cl.Keys(ctx, prefix+":*").Val()) > 0 {
			masters[addr] = true
		}
	}
	if len(masters) < 2 {
		t.Fatalf("the %d keys' records are on %d master(s), want at least 2", keys, len(masters))
	}
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
