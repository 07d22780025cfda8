package mysqlstore

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// Client commands of the MySQL protocol that the counter tells apart.
const (
	comQuery            = 0x03
	comStmtPrepare      = 0x16
	comStmtExecute      = 0x17
	comStmtSendLongData = 0x18 // not answered
	comStmtClose        = 0x19 // not answered
)

// wireCounter counts the commands clients send over the connections it
// dials: statements (COM_QUERY, COM_STMT_EXECUTE), prepares, and round
// trips (every command the server answers).
type wireCounter struct{ statements, prepares, roundTrips atomic.Int64 }

func (w *wireCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, w: w}, nil
}

// countingConn parses the packets the client writes: a 3-byte length, a
// sequence number, the payload. A packet with sequence 0 starts a command,
// whose first payload byte says which.
type countingConn struct {
	net.Conn
	w    *wireCounter
	mu   sync.Mutex
	head []byte // the current packet's header and command byte, as far as written
	skip int    // payload bytes of the current packet still to come
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	for b := p; len(b) > 0; {
		if c.skip > 0 {
			n := min(c.skip, len(b))
			c.skip, b = c.skip-n, b[n:]
			continue
		}
		c.head, b = append(c.head, b[0]), b[1:]
		if len(c.head) < 5 {
			if len(c.head) == 4 && c.head[0]|c.head[1]|c.head[2] == 0 {
				c.head = c.head[:0] // an empty packet
			}
			continue
		}
		if c.head[3] == 0 {
			c.w.count(c.head[4])
		}
		c.skip = (int(c.head[0]) | int(c.head[1])<<8 | int(c.head[2])<<16) - 1
		c.head = c.head[:0]
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (w *wireCounter) count(command byte) {
	switch command {
	case comQuery, comStmtExecute:
		w.statements.Add(1)
		w.roundTrips.Add(1)
	case comStmtPrepare:
		w.prepares.Add(1)
		w.roundTrips.Add(1)
	case comStmtClose, comStmtSendLongData:
	default:
		w.roundTrips.Add(1)
	}
}

func (w *wireCounter) reset() {
	w.statements.Store(0)
	w.prepares.Store(0)
	w.roundTrips.Store(0)
}

// benchStore returns a store on a pool whose connections are counted.
func benchStore(b *testing.B) (*Store, *wireCounter) {
	cfg := dbConfig(b)
	counter := &wireCounter{}
	cfg.DialFunc = counter.dial
	return newStoreOn(b, newDB(b, cfg)), counter
}

// measure runs the timed loop, reports statements and round trips per
// operation and fails above budget: one statement per replay and two per
// first request are the store's design, not a tuning detail.
func measure(b *testing.B, counter *wireCounter, budget float64, op func(i int)) {
	b.ReportAllocs()
	counter.reset()
	i := 0
	for b.Loop() {
		op(i)
		i++
	}
	per := func(n *atomic.Int64) float64 { return float64(n.Load()) / float64(b.N) }
	b.ReportMetric(per(&counter.statements), "statements/op")
	b.ReportMetric(per(&counter.roundTrips), "roundtrips/op")
	b.ReportMetric(per(&counter.prepares), "prepares/op")
	if s := per(&counter.statements); s > budget {
		b.Fatalf("%.2f statements per op, budget %v", s, budget)
	}
	if r := per(&counter.roundTrips); r > budget+0.01 {
		b.Fatalf("%.2f round trips per op, budget %v", r, budget)
	}
}

// BenchmarkStore compares the store's first request (claim, complete),
// the same in a transaction (claim, BEGIN, complete, COMMIT) and replay
// (claim) with a bare SELECT 1 on the same pool, in one run.
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
			if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
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
	// The transactional miss without the handler's own writes: what the
	// transaction costs the store. BEGIN and COMMIT are a round trip each;
	// the UPDATE reuses the statement prepared on the connection.
	b.Run("miss-tx", func(b *testing.B) {
		prefix := fmt.Sprintf("miss-tx-%d-", time.Now().UnixNano())
		measure(b, counter, 4, func(i int) {
			key := prefix + fmt.Sprint(i)
			c, err := s.Claim(ctx, key, "fp", 30*time.Second)
			if err != nil || c.State != idempotency.Acquired {
				b.Fatalf("claim: %+v %v", c, err)
			}
			_, tx, err := s.BeginTx(ctx, key, c.Token)
			if err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(ctx, rec); err != nil {
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
	b.Run("miss-tx", func(b *testing.B) {
		txmw := idempotency.New(s, idempotency.WithTransaction(true))
		prefix := fmt.Sprintf("mw-tx-%d-", time.Now().UnixNano())
		measure(b, counter, 4, func(i int) {
			r := httptest.NewRequest(http.MethodPost, "/payments", strings.NewReader(`{"amount":1000}`))
			r.Header.Set(idempotency.HeaderIdempotencyKey, prefix+fmt.Sprint(i))
			w := httptest.NewRecorder()
			txmw.Serve(w, r, handler)
			if w.Code != http.StatusCreated {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		})
	})
	b.Run("hit", func(b *testing.B) {
		serve(b, "mw-hit", http.StatusCreated)
		measure(b, counter, 1, func(int) { serve(b, "mw-hit", http.StatusCreated) })
	})
}
