package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/runtime/idemclient"
)

// downURL is the URL of a port nothing listens on.
func downURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// A server that is not there: every attempt is refused, the transport
// gives up after its attempts, and run fails with the reason.
func TestServerDown(t *testing.T) {
	var stdout, stderr bytes.Buffer
	start := time.Now()
	err := run(context.Background(), downURL(t), 3, &stdout, &stderr)
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "payment 1 of 3") {
		t.Fatalf("run: %v, want payment 1 of 3 refused", err)
	}
	attempts := fmt.Sprintf("(attempts: %d)", idemclient.DefaultMaxAttempts)
	if !strings.HasSuffix(err.Error(), attempts) {
		t.Errorf("run: %v, want it to end with %s", err, attempts)
	}
	if stdout.String() != "0 created\n" {
		t.Errorf("stdout %q, want only 0 created", &stdout)
	}
	t.Logf("gave up after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// fakeServer answers createPayment with answers in turn, the last one
// for every call after, and counts the requests.
func fakeServer(t *testing.T, answers ...func(w http.ResponseWriter)) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		n := int(calls.Add(1)) - 1
		answers[min(n, len(answers)-1)](w)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func created(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"id":"%s","amount":1000,"currency":"EUR","refunded":0,"created":"2026-12-01T10:00:00Z"}`, newTestID())
}

// newTestID is a distinct payment id per call.
func newTestID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", testIDs.Add(1))
}

var testIDs atomic.Int64

// A 4xx is final: no retry of it, and no payment after it.
func TestStopsOn4xx(t *testing.T) {
	for name, tc := range map[string]struct {
		answer  func(w http.ResponseWriter)
		refusal string // the ProblemError's code, for the idempotency layer's own 4xx
	}{
		"application 422": {answer: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, `{"message":"amount over the limit"}`)
		}},
		"key reused 422": {answer: func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", contract.ProblemContentType)
			w.WriteHeader(http.StatusUnprocessableEntity)
			io.WriteString(w, contract.KeyReused.Body())
		}, refusal: idemclient.CodeKeyReused},
	} {
		t.Run(name, func(t *testing.T) {
			srv, calls := fakeServer(t, created, created, tc.answer)
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), srv.URL, 5, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), "payment 3 of 5") || !strings.Contains(err.Error(), "422") {
				t.Fatalf("run: %v, want payment 3 of 5 refused with 422", err)
			}
			var pe *idemclient.ProblemError
			if got := errors.As(err, &pe); got != (tc.refusal != "") || got && pe.Code != tc.refusal {
				t.Errorf("run: %v (%T), want a ProblemError %v", err, errors.Unwrap(err), tc.refusal != "")
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if len(lines) != 3 || lines[2] != "2 created" {
				t.Errorf("stdout:\n%s\nwant the 2 payments and 2 created", &stdout)
			}
			if n := calls.Load(); n != 3 {
				t.Errorf("%d requests, want 3: two payments and the 422, not retried, nothing after", n)
			}
		})
	}
}

func TestRefusesNoPayments(t *testing.T) {
	srv, calls := fakeServer(t, created)
	if err := run(context.Background(), srv.URL, 0, io.Discard, io.Discard); err == nil || calls.Load() != 0 {
		t.Errorf("run -n 0: %v after %d requests, want an error and none", err, calls.Load())
	}
}

// The command itself: this test binary run as payclient (TestMain).
func TestExitStatus(t *testing.T) {
	srv, _ := fakeServer(t, created)
	for _, tc := range []struct {
		name   string
		url    string
		status int
		stdout string // a regular expression of it, whole
		stderr string // what stderr must contain
	}{
		{"created", srv.URL, 0, `^(\S+ \S+\n){2}2 created\n$`, ""},
		{"server down", downURL(t), 1, `^0 created\n$`, "payclient: payment 1 of 2: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "-url", tc.url, "-n", "2")
			cmd.Env = append(os.Environ(), mainEnv+"=1")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err = cmd.Run()
			status := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				status = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.status || !strings.Contains(stderr.String(), tc.stderr) || !matches(tc.stdout, stdout.String()) {
				t.Errorf("exit status %d, stdout %q, stderr %q; want %d, %s, containing %q",
					status, &stdout, &stderr, tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}

func matches(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
