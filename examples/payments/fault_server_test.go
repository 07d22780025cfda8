package main

// The fault tests run the example as real processes: the test binary
// starts copies of itself with PAYMENTS_FAULT_SERVER=1 in the environment,
// and TestMain serves the example in them instead of running tests. The
// crash hooks live here, in test code, not in the example: a book that
// can stop createPayment before or after its INSERT, and an observer that
// can stop a request after its commit, before the held response goes out.
// The process kills itself there with SIGKILL, as a crash would, once
// enough requests wait at the point (see faultHooks.reach).
//
// A fault server prints what the test needs to follow it on stdout, one
// line each: "listening ADDR" once, then "inserted FENCE KEY",
// "reached POINT KEY" and "outcome NAME STATUS KEY".

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// faultServerEnv, set to 1, makes the test binary a fault server.
const faultServerEnv = "PAYMENTS_FAULT_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(faultServerEnv) == "1" {
		if err := serveFaults(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fault server:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The points where a fault server can crash.
const (
	crashBeforeInsert = "before-insert" // the claim and BEGIN done, nothing written
	crashAfterInsert  = "after-insert"  // the payment inserted, not committed
	crashAfterCommit  = "after-commit"  // committed with the key, the response not sent
)

// serveFaults is the example's server with the crash hooks, taking the
// example's flags plus -crash and -batch, on a free port of 127.0.0.1.
func serveFaults(args []string) error {
	fs := flag.NewFlagSet("fault server", flag.ContinueOnError)
	storeSpec := fs.String("store", "memory", "as the example's -store")
	var cfg config
	fs.BoolVar(&cfg.tx, "tx", true, "as the example's -tx")
	fs.DurationVar(&cfg.delay, "delay", 0, "as the example's -delay")
	fs.DurationVar(&cfg.lease, "lease", 0, "as the example's -lease")
	hooks := &faultHooks{}
	fs.StringVar(&hooks.point, "crash", "", "SIGKILL this process at this point of createPayment")
	fs.IntVar(&hooks.batch, "batch", 1, "how many requests wait at the crash point before the kill")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The test holds stdin open; when it ends, however it ends, so does
	// this process, rather than serving on with nobody to stop it.
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()

	st, err := openStore(context.Background(), *storeSpec)
	if err != nil {
		return err
	}
	defer st.close()
	h := newHandler(st.store, faultBook{st.book, hooks}, cfg, idempotency.WithObserver(hooks.observe))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hooks.say("listening", ln.Addr().String())
	return newServer(h).Serve(ln)
}

// barrierTimeout ends a crash round whose batch never fills (a request
// failed before the point): the process dies anyway, and the test finds
// fewer "reached" lines than it sent requests.
const barrierTimeout = 10 * time.Second

// faultHooks is where a fault server crashes, and how it reports.
type faultHooks struct {
	point string // one of the crash constants, or "" for none
	batch int

	mu      sync.Mutex
	waiting int // requests stopped at the point

	out sync.Mutex // one line at a time on stdout
}

func (h *faultHooks) say(words ...string) {
	h.out.Lock()
	defer h.out.Unlock()
	fmt.Fprintln(os.Stdout, strings.Join(words, " "))
}

// reach is the request with key at point. At the crash point it never
// returns: the request waits until batch requests wait there, and the
// last one kills the process with all of them in flight, so that one
// restart costs batch killed requests instead of one.
func (h *faultHooks) reach(point, key string) {
	if point != h.point {
		return
	}
	h.say("reached", point, key)
	h.mu.Lock()
	h.waiting++
	if h.waiting == 1 {
		time.AfterFunc(barrierTimeout, die)
	}
	full := h.waiting >= h.batch
	h.mu.Unlock()
	if full {
		die()
	}
	select {}
}

// observe reports every outcome, and is the after-commit crash point: the
// middleware reports Completed after the commit, before it sends the held
// response.
func (h *faultHooks) observe(ev idempotency.Event) {
	h.say("outcome", ev.Outcome.String(), strconv.Itoa(ev.Status), ev.Key)
	if ev.Outcome == idempotency.OutcomeCompleted {
		h.reach(crashAfterCommit, ev.Key)
	}
}

// die ends the process as a crash does: no deferred call, no flush, no
// rollback sent; the database finds the connections closed.
func die() { _ = syscall.Kill(os.Getpid(), syscall.SIGKILL) }

// faultBook is the server's book with the crash points around its INSERT.
type faultBook struct {
	book
	hooks *faultHooks
}

func (b faultBook) create(ctx context.Context, p *Payment, key string, fence uint64) error {
	b.hooks.reach(crashBeforeInsert, key)
	if err := b.book.create(ctx, p, key, fence); err != nil {
		return err
	}
	b.hooks.say("inserted", strconv.FormatUint(fence, 10), key)
	b.hooks.reach(crashAfterInsert, key)
	return nil
}
