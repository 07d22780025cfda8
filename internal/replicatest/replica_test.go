package replicatest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// serverBin is the testserver binary, built once by TestMain.
var serverBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "replicatest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBin = filepath.Join(dir, "testserver")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	build := exec.Command(gobin, "build", "-o", serverBin, "github.com/idemgen/idemgen/internal/replicatest/testserver")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "replicatest: building testserver: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// replica is one running testserver process.
type replica struct {
	cmd    *exec.Cmd
	url    string // http://host:port
	stderr string // path of its stderr, shown when the test fails
}

// startReplica starts a testserver process against the backend's store,
// logging to logPath, and kills it when the test ends.
func startReplica(t *testing.T, b *backend, logPath string, extra ...string) *replica {
	t.Helper()
	errPath := filepath.Join(t.TempDir(), "stderr")
	errFile, err := os.Create(errPath)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-addr", "127.0.0.1:0", "-store", b.url, "-namespace", b.namespace, "-log", logPath}, extra...)
	cmd := exec.Command(serverBin, args...)
	cmd.Stderr = errFile
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	errFile.Close()
	r := &replica{cmd: cmd, stderr: errPath}
	t.Cleanup(func() {
		r.kill()
		if t.Failed() {
			out, _ := os.ReadFile(errPath)
			t.Logf("replica %d stderr:\n%s", cmd.Process.Pid, out)
		}
	})

	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			r.kill()
			out, _ := os.ReadFile(errPath)
			t.Fatalf("replica did not start (stdout %q):\n%s", l, out)
		}
		r.url = "http://" + addr
	case <-time.After(20 * time.Second):
		t.Fatal("replica did not report its address within 20s")
	}
	return r
}

func (r *replica) pid() int { return r.cmd.Process.Pid }

// kill sends SIGKILL and reaps the process; safe to call twice.
func (r *replica) kill() {
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Kill()
	r.cmd.Wait()
}

// entry mirrors the testserver's log line.
type entry struct {
	Event     string `json:"event"`
	PID       int    `json:"pid"`
	Key       string `json:"key"`
	StoreKey  string `json:"store_key"`
	Token     string `json:"token"`
	TakenOver bool   `json:"taken_over"`
}

// readLog returns the log's entries of the given event, for key when the
// event is "run".
func readLog(t *testing.T, path, event, key string) []entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []entry
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var e entry
		if err := json.Unmarshal(line, &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e.Event == event && (event != "run" || e.Key == key) {
			out = append(out, e)
		}
	}
	return out
}
