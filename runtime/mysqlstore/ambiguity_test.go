package mysqlstore

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idempotency/storetest"
)

// cutProxy forwards TCP to MariaDB. Armed, it drops the next reply the
// server sends and closes that connection: the statement has run and
// committed, but the client only sees a broken connection. That is the
// ambiguous failure a store must resolve without running anything twice.
type cutProxy struct {
	ln     net.Listener
	target string
	armed  atomic.Bool
	cuts   atomic.Int32
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *cutProxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer server.Close()
	go func() { _, _ = io.Copy(server, client); server.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 && p.armed.CompareAndSwap(true, false) {
			p.cuts.Add(1)
			return // the reply is lost; both ends close
		}
		if n > 0 {
			if _, werr := client.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestAmbiguousFailures loses the reply of a committed Claim, Complete
// and Abandon. Each must retry on a new connection and report what really
// happened: the claim is the caller's, the record is stored, the key is
// free. Without the token-based recovery they would answer in-flight,
// ErrNotOwner and ErrNotOwner.
func TestAmbiguousFailures(t *testing.T) {
	cfg := dbConfig(t)
	proxy := startCutProxy(t, cfg.Addr)
	cfg.Addr = proxy.ln.Addr().String()
	db := newDB(t, cfg)
	// One connection, so the statements below are prepared on it before
	// the cut and the cut lands on the execution itself.
	db.SetMaxOpenConns(1)
	s := newStoreOn(t, db)
	ctx := context.Background()

	warm := func(key string) {
		c := storetest.MustClaim(t, s, key, "fp", time.Minute, idempotency.Acquired)
		if err := s.Complete(ctx, key, c.Token, &idempotency.Record{Status: 200}); err != nil {
			t.Fatal(err)
		}
		w := storetest.MustClaim(t, s, key+"-a", "fp", time.Minute, idempotency.Acquired)
		if err := s.Abandon(ctx, key+"-a", w.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.count(ctx, s.q.completedBy, []byte(key), []byte(c.Token)); err != nil {
			t.Fatal(err)
		}
	}
	warm("warm")

	proxy.armed.Store(true)
	c, err := s.Claim(ctx, "k", "fp", time.Minute)
	if err != nil || c.State != idempotency.Acquired || c.TakenOver {
		t.Fatalf("Claim whose reply was lost = %+v, %v; want acquired", c, err)
	}
	warm("warm2") // re-prepare on the new connection

	proxy.armed.Store(true)
	if err := s.Complete(ctx, "k", c.Token, &idempotency.Record{Status: 201, Body: []byte("once")}); err != nil {
		t.Fatalf("Complete whose reply was lost = %v, want success", err)
	}
	if got := storetest.MustClaim(t, s, "k", "fp", time.Minute, idempotency.Completed); string(got.Record.Body) != "once" {
		t.Fatalf("record body %q", got.Record.Body)
	}
	warm("warm3")

	a := storetest.MustClaim(t, s, "k2", "fp", time.Minute, idempotency.Acquired)
	proxy.armed.Store(true)
	if err := s.Abandon(ctx, "k2", a.Token); err != nil {
		t.Fatalf("Abandon whose reply was lost = %v, want success", err)
	}
	storetest.MustClaim(t, s, "k2", "fp", time.Minute, idempotency.Acquired)

	if n := proxy.cuts.Load(); n != 3 {
		t.Fatalf("%d replies cut, want 3", n)
	}
}
