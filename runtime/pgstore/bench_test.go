package pgstore

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/jackc/pgx/v5"
)

// statementCounter is a pgx tracer counting statements sent, the
// PostgreSQL analogue of round trips.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// benchStore returns a store on a traced pool and the counter.
func benchStore(b *testing.B) (*Store, *statementCounter) {
	cfg := poolConfig(b)
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	pool := newPool(b, cfg)
	return newStoreOn(b, pool), counter
}

// measure runs the timed loop, reports statements per operation and fails
// above budget: one statement per replay and two per first request are the
// store's design, not a tuning detail.
func measure(b *testing.B, counter *statementCounter, budget float64, op func(i int)) {
	b.ReportAllocs()
	counter.n.Store(0)
	i := 0
	for b.Loop() {
		op(i)
		i++
	}
	per := float64(counter.n.Load()) / float64(b.N)
	b.ReportMetric(per, "statements/op")
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
