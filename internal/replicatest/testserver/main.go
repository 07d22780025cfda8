// Command testserver is one replica of a tiny payments service for the
// cross-process tests in package replicatest. It serves POST /payments
// behind idempotency.New on a shared store and appends every
// handler run, and every claim its store grants, as a JSON line to a log
// file. Each line is one write to a file opened with O_APPEND, so the log
// is whole even when the process is killed with SIGKILL and two replicas
// write to it at once.
//
//	testserver -addr 127.0.0.1:0 -store redis://127.0.0.1:6379/0 -namespace t1 -log runs.jsonl
//
// Once it listens it prints "listening <host:port>" on stdout. A request
// carrying "X-Hold: 1" blocks in the handler until the process dies, to
// stand for a replica that crashes while it owns a key; "X-Work: 2s"
// overrides -work for one request.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/pgstore"
	"github.com/idemgen/idemgen/runtime/redisstore"
)

// Entry is one line of the log file.
type Entry struct {
	Event     string `json:"event"` // "run" or "claim"
	PID       int    `json:"pid"`
	Key       string `json:"key,omitempty"`       // the client's key (run)
	StoreKey  string `json:"store_key,omitempty"` // the store's key (claim)
	Token     string `json:"token,omitempty"`     // the owner token (claim)
	TakenOver bool   `json:"taken_over,omitempty"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	storeURL := flag.String("store", "", "redis://… or postgres://… URL of the shared store")
	namespace := flag.String("namespace", "replicatest", "Redis key prefix, or PostgreSQL schema")
	logPath := flag.String("log", "", "file to append handler runs and claims to (required)")
	lease := flag.Duration("lease", 3*time.Second, "claim lease")
	work := flag.Duration("work", 50*time.Millisecond, "how long the handler works")
	flag.Parse()
	if *logPath == "" || *storeURL == "" {
		log.Fatal("testserver: -store and -log are required")
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		log.Fatalf("testserver: -log: %v", err)
	}
	rl := &runLog{f: f, pid: os.Getpid()}

	store, err := openStore(context.Background(), *storeURL, *namespace)
	if err != nil {
		log.Fatalf("testserver: -store %s: %v", *storeURL, err)
	}
	mw := idempotency.New(&loggingStore{ClaimStore: store, log: rl}, idempotency.WithLease(*lease))

	mux := http.NewServeMux()
	mux.Handle("POST /payments", mw.Handler(payments(rl, *work)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("testserver: -addr: %v", err)
	}
	fmt.Printf("listening %s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}

// payments is the operation: it records its run, then works for a while
// (or forever, with X-Hold) and answers 201 naming the process.
func payments(rl *runLog, work time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(idempotency.HeaderIdempotencyKey)
		io.Copy(io.Discard, r.Body)
		rl.write(Entry{Event: "run", Key: key})
		if r.Header.Get("X-Hold") == "1" {
			select {} // until SIGKILL
		}
		d := work
		if v := r.Header.Get("X-Work"); v != "" {
			var err error
			if d, err = time.ParseDuration(v); err != nil {
				http.Error(w, "X-Work: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		time.Sleep(d)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Replica", fmt.Sprint(rl.pid))
		w.Header().Add("X-Replica", "multi-valued")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"key":%q,"pid":%d}`, key, rl.pid)
	})
}

func openStore(ctx context.Context, url, namespace string) (idempotency.ClaimStore, error) {
	switch {
	case strings.HasPrefix(url, "redis://"), strings.HasPrefix(url, "rediss://"):
		opt, err := redis.ParseURL(url)
		if err != nil {
			return nil, err
		}
		return redisstore.New(redis.NewClient(opt), redisstore.WithPrefix(namespace)), nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			return nil, err
		}
		s := pgstore.New(pool, pgstore.WithSchema(namespace))
		if err := s.Migrate(ctx); err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, fmt.Errorf("unknown scheme, want redis:// or postgres://")
}

// runLog appends entries as JSON lines, one write each.
type runLog struct {
	mu  sync.Mutex
	f   *os.File
	pid int
}

func (l *runLog) write(e Entry) {
	e.PID = l.pid
	b, _ := json.Marshal(e)
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(b, '\n')); err != nil {
		log.Printf("testserver: log: %v", err)
	}
}

// loggingStore passes everything to the real store and logs each claim it
// grants, so a test can play a killed owner's late Complete with its token.
type loggingStore struct {
	idempotency.ClaimStore
	log *runLog
}

func (s *loggingStore) Claim(ctx context.Context, key, fp string, lease time.Duration) (idempotency.Claim, error) {
	c, err := s.ClaimStore.Claim(ctx, key, fp, lease)
	if err == nil && c.State == idempotency.Acquired {
		s.log.write(Entry{Event: "claim", StoreKey: key, Token: c.Token, TakenOver: c.TakenOver})
	}
	return c, err
}
