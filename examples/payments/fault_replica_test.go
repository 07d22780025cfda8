package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// replica is one fault server process (fault_server_test.go), started by
// the test from its own binary and ended when the test ends.
type replica struct {
	t     *testing.T
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	url   string        // http://127.0.0.1:port
	lines chan string   // its stdout after "listening", line by line
	done  chan struct{} // closed once it has exited
	state *os.ProcessState

	mu  sync.Mutex
	out []string // all it printed, stderr marked, for a failed test's log
}

// startReplica starts a fault server with args (the example's flags and
// -crash/-batch) and waits until it listens.
func startReplica(t *testing.T, name string, args ...string) *replica {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := &replica{t: t, name: name, lines: make(chan string, 4096), done: make(chan struct{})}
	r.cmd = exec.Command(exe, args...)
	r.cmd.Env = append(os.Environ(), faultServerEnv+"=1")
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if r.stdin, err = r.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.stop)

	listening := make(chan string, 1)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		defer close(r.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			r.keep(line)
			if addr, ok := strings.CutPrefix(line, "listening "); ok {
				listening <- addr
				continue
			}
			r.lines <- line
		}
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.keep("stderr: " + sc.Text())
		}
	}()
	go func() {
		readers.Wait() // Wait must not run before the pipes are read out
		_ = r.cmd.Wait()
		r.state = r.cmd.ProcessState
		close(r.done)
	}()

	select {
	case addr := <-listening:
		r.url = "http://" + addr
	case <-r.done:
		t.Fatalf("replica %s exited before listening:\n%s", name, r.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("replica %s not listening after 30s:\n%s", name, r.output())
	}
	return r
}

func (r *replica) keep(line string) {
	r.mu.Lock()
	r.out = append(r.out, line)
	r.mu.Unlock()
}

func (r *replica) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.out, "\n")
}

// printed is every stdout line of r's that starts with word, split into
// fields.
func (r *replica) printed(word string) [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var got [][]string
	for _, line := range r.out {
		if f := strings.Fields(line); len(f) > 0 && f[0] == word {
			got = append(got, f)
		}
	}
	return got
}

// await reads r's output until n lines starting with word have come, and
// returns them split into fields.
func (r *replica) await(word string, n int, timeout time.Duration) [][]string {
	r.t.Helper()
	deadline := time.After(timeout)
	var got [][]string
	for len(got) < n {
		select {
		case line, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("replica %s exited with %d of %d %q lines:\n%s", r.name, len(got), n, word, r.output())
			}
			if f := strings.Fields(line); len(f) > 0 && f[0] == word {
				got = append(got, f)
			}
		case <-deadline:
			r.t.Fatalf("replica %s: %d of %d %q lines after %v:\n%s", r.name, len(got), n, word, timeout, r.output())
		}
	}
	return got
}

// signal sends sig (SIGSTOP, SIGCONT) to r's process.
func (r *replica) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("replica %s: %v: %v", r.name, sig, err)
	}
}

// killedItself waits for r to exit and reports whether a SIGKILL ended
// it, as the crash hooks do.
func (r *replica) killedItself(timeout time.Duration) bool {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		r.t.Fatalf("replica %s still running %v after it should have crashed:\n%s", r.name, timeout, r.output())
	}
	ws, ok := r.state.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// stop ends r if it still runs, and logs what it printed if the test failed.
func (r *replica) stop() {
	_ = r.stdin.Close()
	select {
	case <-r.done:
	default:
		_ = r.cmd.Process.Kill()
		<-r.done
	}
	if r.t.Failed() {
		r.t.Logf("replica %s printed:\n%s", r.name, r.output())
	}
}
