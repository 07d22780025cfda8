package mysqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
	"github.com/idemgen/idemgen/runtime/internal/headercodec"
)

// probe is the handler's own table: Write inserts a name in the
// transaction found in ctx, Committed looks for it from the pool.
type probe struct {
	db    *sql.DB
	table string
	// seen holds the transactions written in, rolled back when the test
	// ends: a failed test that left one open would otherwise hold its
	// locks, and the DROP TABLE of the cleanup would wait for them forever.
	mu   *sync.Mutex
	seen *[]*sql.Tx
}

func newProbe(t testing.TB, db *sql.DB) probe {
	t.Helper()
	p := probe{db: db, table: quoteIdent("mysqlstore_probe_" + strings.ToLower(rand.Text()[:12])), mu: new(sync.Mutex), seen: new([]*sql.Tx)}
	if _, err := db.Exec("CREATE TABLE " + p.table + " (name VARBINARY(255) PRIMARY KEY) ENGINE = InnoDB"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		for _, tx := range *p.seen {
			_ = tx.Rollback() // sql.ErrTxDone for those that ended
		}
		p.mu.Unlock()
		_, _ = db.Exec("DROP TABLE IF EXISTS " + p.table)
	})
	return p
}

func (p probe) Write(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	tx, ok := TxFromContext(ctx)
	if !ok {
		t.Fatal("no transaction in the handler's context")
	}
	p.mu.Lock()
	*p.seen = append(*p.seen, tx)
	p.mu.Unlock()
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+p.table+" (name) VALUES (?)", name); err != nil {
		t.Fatalf("the handler's write: %v", err)
	}
}

func (p probe) Committed(t *testing.T, name string) bool {
	t.Helper()
	var n int
	if err := p.db.QueryRow("SELECT COUNT(*) FROM "+p.table+" WHERE name = ?", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestTxStoreContract(t *testing.T) {
	db := newDB(t, dbConfig(t))
	storetest.RunTx(t, suiteOptions(), func(t *testing.T) (idempotency.TxStore, storetest.TxProbe) {
		return newStoreOn(t, db), newProbe(t, db)
	})
}

// txOf begins a transaction for a fresh claim of key and writes name in it.
func txOf(t *testing.T, s *Store, p probe, key string, lease time.Duration) (idempotency.Claim, *storeTx, context.Context) {
	t.Helper()
	c := storetest.MustClaim(t, s, key, "fp", lease, idempotency.Acquired)
	ctx, tx, err := s.BeginTx(context.Background(), key, c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(ctx, t, key)
	return c, tx.(*storeTx), ctx
}

// A takeover that races the commit, after Commit's UPDATE locked the row,
// waits for the COMMIT and then replays the committed record instead of
// taking the key over and running the operation a second time.
func TestTxTakeoverWaitsForCommit(t *testing.T) {
	s, db := newStore(t)
	p := newProbe(t, db)
	ctx := context.Background()
	_, tx, _ := txOf(t, s, p, "k", 100*time.Millisecond)
	time.Sleep(150 * time.Millisecond) // the lease has lapsed
	rec := &idempotency.Record{Status: 201, Body: []byte("paid")}
	if err := tx.complete(ctx, headercodec.Encode(rec.Header), rec); err != nil {
		t.Fatalf("the UPDATE in the transaction: %v", err)
	}
	type result struct {
		c   idempotency.Claim
		err error
		at  time.Time
	}
	raced := make(chan result, 1)
	go func() {
		c, err := s.Claim(ctx, "k", "fp-2", time.Minute)
		raced <- result{c, err, time.Now()}
	}()
	select {
	case r := <-raced:
		t.Fatalf("the takeover did not wait for the commit: %+v, %v", r.c, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.commit(ctx); err != nil {
		t.Fatal(err)
	}
	committedAt := time.Now()
	r := <-raced
	if r.err != nil || r.c.State != idempotency.Completed || string(r.c.Record.Body) != "paid" {
		t.Fatalf("the takeover after the commit = %+v, %v; want the committed record", r.c, r.err)
	}
	if r.at.Before(committedAt.Add(-50 * time.Millisecond)) {
		t.Fatalf("the takeover returned %v before the commit", committedAt.Sub(r.at))
	}
	if !p.Committed(t, "k") {
		t.Fatal("the handler's write did not commit")
	}
}

// The request's context ends (the client left, the lease was lost) while
// the handler runs; the transaction must live until the middleware ends it.
func TestTxOutlivesCancelledContext(t *testing.T) {
	s, db := newStore(t)
	p := newProbe(t, db)
	c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	reqCtx, cancel := context.WithCancel(context.Background())
	ctx, tx, err := s.BeginTx(reqCtx, "k", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(ctx, t, "k")
	cancel()
	time.Sleep(50 * time.Millisecond) // database/sql rolls back in a goroutine
	if err := tx.Commit(context.Background(), &idempotency.Record{Status: 201}); err != nil {
		t.Fatalf("Commit after the request's context ended: %v", err)
	}
	if !p.Committed(t, "k") {
		t.Fatal("the handler's write did not commit")
	}
}

// A record over max_allowed_packet is refused before anything is written,
// and the transaction stays open for the lean record the middleware sends
// next.
func TestTxCommitTooLargeThenLean(t *testing.T) {
	s, db := newStore(t)
	p := newProbe(t, db)
	var packet int
	if err := db.QueryRow("SELECT @@max_allowed_packet").Scan(&packet); err != nil {
		t.Fatal(err)
	}
	_, tx, _ := txOf(t, s, p, "k", time.Minute)
	ctx := context.Background()
	err := tx.Commit(ctx, &idempotency.Record{Status: 201, Body: make([]byte, packet)})
	if !errors.Is(err, idempotency.ErrRecordTooLarge) {
		t.Fatalf("Commit of a %d-byte body = %v, want ErrRecordTooLarge", packet, err)
	}
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201, BodyOmitted: true}); err != nil {
		t.Fatalf("lean Commit after the refusal: %v", err)
	}
	if !p.Committed(t, "k") {
		t.Fatal("the handler's write did not commit")
	}
	if c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed); !c.Record.BodyOmitted {
		t.Fatalf("stored %+v, want the lean record", c.Record)
	}
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201}); err == nil {
		t.Fatal("a second Commit after success succeeded")
	}
}

// The COMMIT's reply is lost after the server committed: Commit must
// report success (the completed row carries its token), not an error that
// would make the middleware answer 503 for an operation that took effect.
func TestTxCommitReplyLost(t *testing.T) {
	cfg := dbConfig(t)
	proxy := startCutProxy(t, cfg.Addr)
	cfg.Addr = proxy.ln.Addr().String()
	db := newDB(t, cfg)
	s := newStoreOn(t, db)
	p := newProbe(t, db)
	ctx := context.Background()
	_, tx, _ := txOf(t, s, p, "k", time.Minute)
	rec := &idempotency.Record{Status: 201, Body: []byte("once")}
	if err := tx.complete(ctx, headercodec.Encode(rec.Header), rec); err != nil {
		t.Fatal(err)
	}
	proxy.armed.Store(true)
	if err := tx.commit(ctx); err != nil {
		t.Fatalf("Commit whose reply was lost = %v, want success", err)
	}
	if n := proxy.cuts.Load(); n != 1 {
		t.Fatalf("%d replies cut, want the COMMIT's", n)
	}
	if !p.Committed(t, "k") {
		t.Fatal("the handler's write is not committed")
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed)
}
