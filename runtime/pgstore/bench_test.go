package pgstore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/jackc/pgx/v5"
)

// statementCounter is a pgx tracer counting statements sent; trips counts
// round trips on the wire (see tripConn), which the two differ by only
// when pgx prepares a statement or a reply is pipelined.
type statementCounter struct{ n, trips atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// tripConn counts a round trip each time the client writes after having
// read (or first writes): a request, however many messages it takes, then
// its reply.
type tripConn struct {
	net.Conn
	trips   *atomic.Int64
	writing bool
}

func (c *tripConn) Write(p []byte) (int, error) {
	if !c.writing {
		c.writing = true
		c.trips.Add(1)
	}
	return c.Conn.Write(p)
}

func (c *tripConn) Read(p []byte) (int, error) {
	c.writing = false
	return c.Conn.Read(p)
}

// benchStore returns a store on a traced pool and the counter.
func benchStore(b *testing.B) (*Store, *statementCounter) {
	cfg := poolConfig(b)
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	var d net.Dialer
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &tripConn{Conn: c, trips: &counter.trips}, nil
	}
	pool := newPool(b, cfg)
	return newStoreOn(b, pool), counter
}

// measure runs the timed loop, reports statements and round trips per
// operation and fails above budget (in statements): one statement per
// replay and two per first request are the store's design, not a tuning
// detail. The first iteration runs before the counting starts, so that
// the connection's setup and pgx's preparing of each statement, once per
// connection, do not blur short runs.
func measure(b *testing.B, counter *statementCounter, budget float64, op func(i int)) {
	b.ReportAllocs()
	op(-1)
	counter.n.Store(0)
	counter.trips.Store(0)
	i := 0
	for b.Loop() {
		op(i)
		i++
	}
	per := float64(counter.n.Load()) / float64(b.N)
	b.ReportMetric(per, "statements/op")
	b.ReportMetric(float64(counter.trips.Load())/float64(b.N), "roundtrips/op")
	if per > budget {
		b.Fatalf("%.2f statements per op, budget %v", per, budget)
	}
}

// BenchmarkStore compares the store's first request (claim, complete) and
// replay (claim) with a bare SELECT 1 on the same pool, in one run.
func BenchmarkStore(b *testing.B) {
	s, counter := benchStore(b)
	ctx := context.Background()
	rec := &idempotency.Record{
		Status: 201,
		Header: http.Header{"Content-Type": {"application/json"}, "Location": {"/payments/p_1"}},
		Body:   []byte(`{"id":"p_1","amount":1000,"currency":"eur","status":"succeeded"}`),
	}
	b.Run("SELECT1", func(b *testing.B) {
		measure(b, counter, 1, func(int) {
			var one int
			if err := s.pool.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("miss", func(b *testing.B) {
		prefix := fmt.Sprintf("miss-%d-", time.Now().UnixNano())
		measure(b, counter, 2, func(i int) {
			key := prefix + fmt.Sprint(i)
			c, err := s.Claim(ctx, key, "fp", 30*time.Second)
			if err != nil || c.State != idempotency.Acquired {
				b.Fatalf("claim: %+v %v", c, err)
			}
			if err := s.Complete(ctx, key, c.Token, rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("hit", func(b *testing.B) {
		key := fmt.Sprintf("hit-%d", time.Now().UnixNano()) // -count reruns this function
		c, err := s.Claim(ctx, key, "fp", 30*time.Second)
		if err == nil {
			err = s.Complete(ctx, key, c.Token, rec)
		}
		if err != nil {
			b.Fatal(err)
		}
		measure(b, counter, 1, func(int) {
			c, err := s.Claim(ctx, key, "fp", 30*time.Second)
			if err != nil || c.State != idempotency.Completed {
				b.Fatalf("claim: %+v %v", c, err)
			}
		})
	})
}

// BenchmarkMiddleware measures whole requests through the middleware on
// this store; statements/op shows what one request costs the database.
func BenchmarkMiddleware(b *testing.B) {
	s, counter := benchStore(b)
	mw := idempotency.NewMiddleware(s)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"p_1"}`))
	})
	serve := func(b *testing.B, key string, want int) {
		r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{"amount":1000}`))
		r.Header.Set(idempotency.HeaderIdempotencyKey, key)
		w := httptest.NewRecorder()
		mw.Serve(w, r, handler)
		if w.Code != want {
			b.Fatalf("status %d, want %d: %s", w.Code, want, w.Body)
		}
	}
	b.Run("miss", func(b *testing.B) {
		prefix := fmt.Sprintf("mw-%d-", time.Now().UnixNano())
		measure(b, counter, 2, func(i int) { serve(b, prefix+fmt.Sprint(i), http.StatusCreated) })
	})
	b.Run("hit", func(b *testing.B) {
		serve(b, "mw-hit", http.StatusCreated)
		measure(b, counter, 1, func(int) { serve(b, "mw-hit", http.StatusCreated) })
	})
}

// BenchmarkTransaction sets a first request whose handler writes one row
// without a transaction (claim, INSERT, complete) beside the same request
// built WithTransaction (claim, BEGIN, INSERT, the completing UPDATE,
// COMMIT), in one run, at the store and through the middleware; "miss" is
// the store's bare first request for scale.
func BenchmarkTransaction(b *testing.B) {
	s, counter := benchStore(b)
	probe := newProbe(b, s)
	insert := "INSERT INTO " + probe.ident + " (name) VALUES ($1)"
	ctx := context.Background()
	rec := &idempotency.Record{Status: 201, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"p_1"}`)}
	run := fmt.Sprint(time.Now().UnixNano()) // -count reruns this function
	claim := func(b *testing.B, key string) idempotency.Claim {
		c, err := s.Claim(ctx, key, "fp", 30*time.Second)
		if err != nil || c.State != idempotency.Acquired {
			b.Fatalf("claim: %+v %v", c, err)
		}
		return c
	}
	b.Run("miss", func(b *testing.B) {
		measure(b, counter, 2, func(i int) {
			key := fmt.Sprint("miss-", run, "-", i)
			if err := s.Complete(ctx, key, claim(b, key).Token, rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("miss+insert", func(b *testing.B) {
		measure(b, counter, 3, func(i int) {
			key := fmt.Sprint("plain-", run, "-", i)
			c := claim(b, key)
			if _, err := s.pool.Exec(ctx, insert, key); err != nil {
				b.Fatal(err)
			}
			if err := s.Complete(ctx, key, c.Token, rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("tx-miss+insert", func(b *testing.B) {
		measure(b, counter, 5, func(i int) {
			key := fmt.Sprint("tx-", run, "-", i)
			c := claim(b, key)
			txCtx, tx, err := s.BeginTx(ctx, key, c.Token)
			if err != nil {
				b.Fatal(err)
			}
			htx, _ := TxFromContext(txCtx)
			if _, err := htx.Exec(txCtx, insert, key); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx, rec); err != nil {
				b.Fatal(err)
			}
		})
	})
	for _, transactional := range []bool{false, true} {
		mw := idempotency.New(s, idempotency.WithTransaction(transactional))
		h := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := r.Header.Get(idempotency.HeaderIdempotencyKey)
			var err error
			if tx, ok := TxFromContext(r.Context()); ok {
				_, err = tx.Exec(r.Context(), insert, key)
			} else {
				_, err = s.pool.Exec(r.Context(), insert, key)
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}))
		name, budget := "middleware-miss+insert", 3.0
		if transactional {
			name, budget = "middleware-tx-miss+insert", 5.0
		}
		b.Run(name, func(b *testing.B) {
			measure(b, counter, budget, func(i int) {
				r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{"amount":1000}`))
				r.Header.Set(idempotency.HeaderIdempotencyKey, fmt.Sprint(name, "-", run, "-", i))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusCreated {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			})
		})
	}
}
