package main

// The example server runs as a process of its own, as in production: the
// tests build it once (it is package main in the folder above, so it
// cannot be linked into this test binary) and start a copy per fault,
// listening on a free port, with the store under test.

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// builtServer is the example's binary, built on first use into a folder
// TestMain removes.
var builtServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "payclient-test-")
	if err != nil {
		return "", err
	}
	buildDir = dir
	exe := filepath.Join(dir, "payments")
	out, err := exec.Command("go", "build", "-o", exe, "..").CombinedOutput()
	if err != nil {
		return "", &buildError{err, out}
	}
	return exe, nil
})

// buildDir is where builtServer put the binary, for TestMain to remove.
var buildDir string

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build ..: " + e.err.Error() + "\n" + string(e.out) }

// serving is the line the example logs once it listens.
var serving = regexp.MustCompile(`payments: serving on (http://\S+) with`)

// exampleServer is one running example server.
type exampleServer struct {
	url string
	cmd *exec.Cmd

	mu  sync.Mutex
	log bytes.Buffer // its stderr, for a failed test's log
}

// startServer starts the example with args (-store, -delay) on a free
// port of 127.0.0.1 and waits until it listens; it is killed when the
// test ends.
func startServer(t *testing.T, args ...string) *exampleServer {
	t.Helper()
	exe, err := builtServer()
	if err != nil {
		t.Fatal(err)
	}
	s := &exampleServer{cmd: exec.Command(exe, append([]string{"-addr", "127.0.0.1:0"}, args...)...)}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.Write(append(sc.Bytes(), '\n'))
			s.mu.Unlock()
			if m := serving.FindSubmatch(sc.Bytes()); m != nil {
				listening <- string(m[1])
			}
		}
		_ = s.cmd.Wait() // after the pipe is read out, as Wait requires
		close(exited)
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("the server %v logged:\n%s", args, s.output())
		}
	})
	select {
	case s.url = <-listening:
	case <-exited:
		t.Fatalf("the server %v exited before listening:\n%s", args, s.output())
	case <-time.After(30 * time.Second):
		t.Fatalf("the server %v not listening after 30s:\n%s", args, s.output())
	}
	return s
}

func (s *exampleServer) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}
