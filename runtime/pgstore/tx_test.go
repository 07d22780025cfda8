package pgstore

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// probeTable stands for the handler's own table: a row per write, in the
// store's schema of the test.
type probeTable struct {
	pool  *pgxpool.Pool
	ident string
}

func newProbe(t testing.TB, s *Store) probeTable {
	t.Helper()
	p := probeTable{pool: s.pool, ident: pgx.Identifier{s.schema, "probe_writes"}.Sanitize()}
	if _, err := s.pool.Exec(context.Background(), "CREATE TABLE "+p.ident+" (name text PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	return p
}

// Write inserts name in the request's transaction, as a handler would.
func (p probeTable) Write(ctx context.Context, t *testing.T, name string) {
	t.Helper()
	tx, ok := TxFromContext(ctx)
	if !ok {
		t.Fatal("no transaction in the handler's context")
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+p.ident+" (name) VALUES ($1)", name); err != nil {
		t.Fatalf("handler's INSERT: %v", err)
	}
}

// Committed looks from another connection.
func (p probeTable) Committed(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	if err := p.pool.QueryRow(context.Background(), "SELECT EXISTS (SELECT FROM "+p.ident+" WHERE name = $1)", name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestTxStoreContract(t *testing.T) {
	pool := newPool(t, poolConfig(t))
	storetest.RunTx(t, suiteOptions(), func(t *testing.T) (idempotency.TxStore, storetest.TxProbe) {
		s := newStoreOn(t, pool)
		return s, newProbe(t, s)
	})
}

// A too-large record is refused before the transaction writes anything,
// and the transaction stays usable for the lean record; Complete refuses
// the same record the same way.
func TestRecordTooLarge(t *testing.T) {
	s, _ := newStore(t)
	p := newProbe(t, s)
	s.maxRow = rowOverhead + 100
	ctx := context.Background()
	big := &idempotency.Record{Status: 201, Body: []byte(strings.Repeat("x", 200))}
	lean := &idempotency.Record{Status: 201, BodyOmitted: true}

	a := storetest.MustClaim(t, s, "plain", "fp", time.Minute, idempotency.Acquired)
	if err := s.Complete(ctx, "plain", a.Token, big); !errors.Is(err, idempotency.ErrRecordTooLarge) {
		t.Fatalf("Complete of a too-large record = %v, want ErrRecordTooLarge", err)
	}
	storetest.MustClaim(t, s, "plain", "fp", time.Minute, idempotency.InFlight)

	c := storetest.MustClaim(t, s, "tx", "fp", time.Minute, idempotency.Acquired)
	txCtx, tx, err := s.BeginTx(ctx, "tx", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "w")
	if err := tx.Commit(ctx, big); !errors.Is(err, idempotency.ErrRecordTooLarge) {
		t.Fatalf("Commit of a too-large record = %v, want ErrRecordTooLarge", err)
	}
	storetest.MustClaim(t, s, "tx", "fp", time.Minute, idempotency.InFlight)
	if err := tx.Commit(ctx, lean); err != nil {
		t.Fatalf("Commit of the lean record after the refusal: %v", err)
	}
	if !p.Committed(t, "w") {
		t.Fatal("the handler's write did not commit with the lean record")
	}
	if got := storetest.MustClaim(t, s, "tx", "fp", time.Minute, idempotency.Completed); !got.Record.BodyOmitted {
		t.Fatalf("record %+v, want the lean one", got.Record)
	}
}

// The handler cannot end the middleware's transaction: a write it
// committed itself would be left without a stored response.
func TestHandlerCannotEndTx(t *testing.T) {
	s, _ := newStore(t)
	p := newProbe(t, s)
	ctx := context.Background()
	if _, ok := TxFromContext(ctx); ok {
		t.Fatal("TxFromContext found a transaction in a bare context")
	}
	c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	txCtx, tx, err := s.BeginTx(ctx, "k", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "w")
	htx, _ := TxFromContext(txCtx)
	if err := htx.Commit(ctx); !errors.Is(err, errHandlerEndsTx) {
		t.Fatalf("handler's Commit = %v, want it refused", err)
	}
	if err := htx.Rollback(ctx); !errors.Is(err, errHandlerEndsTx) {
		t.Fatalf("handler's Rollback = %v, want it refused", err)
	}
	if p.Committed(t, "w") {
		t.Fatal("the handler's Commit committed")
	}
	// A savepoint is the handler's to undo.
	sp, err := htx.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "undone")
	if err := sp.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201}); err != nil {
		t.Fatal(err)
	}
	if !p.Committed(t, "w") || p.Committed(t, "undone") {
		t.Fatal("want the write committed and the savepoint's undone")
	}
}

// beforeCommit is a pgx tracer that runs hook just before a COMMIT is sent.
type beforeCommit struct{ hook atomic.Pointer[func()] }

func (b *beforeCommit) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if d.SQL == "commit" {
		if h := b.hook.Swap(nil); h != nil {
			(*h)()
		}
	}
	return ctx
}

func (b *beforeCommit) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (b *beforeCommit) set(h func()) { b.hook.Store(&h) }

// A takeover racing the commit waits on the row lock that Commit's UPDATE
// took, and then finds the key completed: it replays rather than runs.
func TestTakeoverWaitsForCommit(t *testing.T) {
	cfg := poolConfig(t)
	app := "pgstore-tx-" + randomName()
	cfg.ConnConfig.RuntimeParams["application_name"] = app
	hook := &beforeCommit{}
	cfg.ConnConfig.Tracer = hook
	s := newStoreOn(t, newPool(t, cfg))
	p := newProbe(t, s)
	ctx := context.Background()

	c := storetest.MustClaim(t, s, "k", "fp", 50*time.Millisecond, idempotency.Acquired)
	txCtx, tx, err := s.BeginTx(ctx, "k", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "w")
	time.Sleep(100 * time.Millisecond) // the lease is over: the key may be taken over

	type result struct {
		c   idempotency.Claim
		err error
	}
	taker := make(chan result, 1)
	hook.set(func() {
		go func() {
			c, err := s.Claim(ctx, "k", "fp", time.Minute)
			taker <- result{c, err}
		}()
		// Hold the COMMIT until the takeover is queued on the row lock.
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case r := <-taker:
				t.Errorf("takeover returned during the commit: %+v, %v", r.c, r.err)
				taker <- r
				return
			default:
			}
			var waiting bool
			err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity
				WHERE application_name = $1 AND wait_event_type = 'Lock')`, app).Scan(&waiting)
			if err != nil {
				t.Error(err)
				return
			}
			if waiting {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Error("the takeover never waited on the row lock")
	})
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201, Body: []byte("once")}); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	r := <-taker
	if r.err != nil || r.c.State != idempotency.Completed || string(r.c.Record.Body) != "once" {
		t.Fatalf("takeover after the commit = %+v, %v; want the committed record", r.c, r.err)
	}
	if !p.Committed(t, "w") {
		t.Fatal("the handler's write did not commit")
	}
}

// TestAmbiguousCommit loses the reply of a COMMIT that took effect: Commit
// must find out that it did, not report a failure that would make the
// middleware answer 503 for a request whose effects are stored. A lost
// reply of the UPDATE before it rolls everything back instead.
func TestAmbiguousCommit(t *testing.T) {
	cfg := poolConfig(t)
	proxy := startCutProxy(t, net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))))
	addr := proxy.ln.Addr().(*net.TCPAddr)
	cfg.ConnConfig.Host, cfg.ConnConfig.Port = addr.IP.String(), uint16(addr.Port)
	hook := &beforeCommit{}
	cfg.ConnConfig.Tracer = hook
	s := newStoreOn(t, newPool(t, cfg))
	p := newProbe(t, s)
	ctx := context.Background()

	c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	txCtx, tx, err := s.BeginTx(ctx, "k", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "w")
	hook.set(func() { proxy.armed.Store(true) })
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201, Body: []byte("once")}); err != nil {
		t.Fatalf("Commit whose reply was lost = %v, want success (it committed)", err)
	}
	if proxy.cuts.Load() != 1 {
		t.Fatalf("%d replies cut, want the COMMIT's", proxy.cuts.Load())
	}
	if !p.Committed(t, "w") {
		t.Fatal("the write did not commit")
	}
	storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed)

	// The UPDATE's reply lost: the connection is gone, so is the transaction.
	c = storetest.MustClaim(t, s, "k2", "fp", time.Minute, idempotency.Acquired)
	txCtx, tx, err = s.BeginTx(ctx, "k2", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.Write(txCtx, t, "w2")
	proxy.armed.Store(true)
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201}); err == nil || errors.Is(err, idempotency.ErrNotOwner) {
		t.Fatalf("Commit whose UPDATE reply was lost = %v, want a store error", err)
	}
	if p.Committed(t, "w2") {
		t.Fatal("a transaction whose connection broke committed")
	}
	if err := s.Abandon(ctx, "k2", c.Token); err != nil {
		t.Fatalf("Abandon after the failed commit: %v, want the key freed", err)
	}
}

// A record without times gets them from the commit, not from the BEGIN
// before the handler ran: now() in a transaction is its start.
func TestCommitTimesAreCommitTimes(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	c := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Acquired)
	_, tx, err := s.BeginTx(ctx, "k", c.Token)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the handler at work
	before := time.Now()
	if err := tx.Commit(ctx, &idempotency.Record{Status: 201}); err != nil {
		t.Fatal(err)
	}
	got := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed).Record
	if d := got.CreatedAt.Sub(before); d < -50*time.Millisecond {
		t.Fatalf("CreatedAt %v before the commit: the transaction's start, not the commit's time", -d)
	}
	if d := got.ExpiresAt.Sub(before.Add(s.TTL())); d < -50*time.Millisecond {
		t.Fatalf("ExpiresAt %v early: counted from the transaction's start", -d)
	}
}
