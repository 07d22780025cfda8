package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/idemgen/idemgen/internal/testsvc"
)

type reply struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, url, key, body string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{res.StatusCode, res.Header, string(b)}
}

// checkReplays drives the example's handler over HTTP, as README.md's curl
// session does, with the store -store spec names.
func checkReplays(t *testing.T, storeSpec string) {
	st, err := openStore(context.Background(), storeSpec)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	srv := httptest.NewServer(newHandler(st.store, st.book, config{tx: true}))
	defer srv.Close()
	key := fmt.Sprintf("test-%d", time.Now().UnixNano()) // shared stores outlive the test

	first := send(t, srv.URL+"/payments", key+"-create", `{"amount": 1000, "currency": "EUR"}`)
	again := send(t, srv.URL+"/payments", key+"-create", `{"amount": 1000, "currency": "EUR"}`)
	if first.status != http.StatusCreated || first.header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("create: %d %q %s", first.status, first.header.Get("Idempotency-Replayed"), first.body)
	}
	if again.status != http.StatusCreated || again.header.Get("Idempotency-Replayed") != "true" || again.body != first.body {
		t.Errorf("retried create: %d replayed=%q %s, want the first response %s replayed", again.status, again.header.Get("Idempotency-Replayed"), again.body, first.body)
	}
	var p Payment
	if err := json.Unmarshal([]byte(first.body), &p); err != nil {
		t.Fatal(err)
	}
	base := srv.URL + "/payments/" + p.Id.String()

	if r := send(t, base+"/refunds", "", `{"amount": 300}`); r.status != http.StatusBadRequest {
		t.Errorf("refund without a key: %d %s, want 400", r.status, r.body)
	}
	r1 := send(t, base+"/refunds", key+"-refund", `{"amount": 300}`)
	r2 := send(t, base+"/refunds", key+"-refund", `{"amount": 300}`)
	if r1.status != http.StatusCreated || r2.header.Get("Idempotency-Replayed") != "true" || r2.body != r1.body {
		t.Errorf("refund then retry: %d %s / %d %s", r1.status, r1.body, r2.status, r2.body)
	}
	if r := send(t, base+"/refunds", key+"-refund", `{"amount": 400}`); r.status != http.StatusUnprocessableEntity {
		t.Errorf("same key, other refund: %d %s, want 422", r.status, r.body)
	}

	// Notes are not idempotent: each call appends, key or not.
	send(t, base+"/notes", key+"-note", `{"text": "hello"}`)
	n := send(t, base+"/notes", key+"-note", `{"text": "hello"}`)
	if err := json.Unmarshal([]byte(n.body), &p); err != nil {
		t.Fatal(err)
	}
	if p.Notes == nil || len(*p.Notes) != 2 || p.Refunded != 300 {
		t.Errorf("after two notes and one refund: %s", n.body)
	}
}

func TestReplayMemory(t *testing.T) { checkReplays(t, "memory") }

// The shared servers (IDEMGEN_REDIS_URL, IDEMGEN_POSTGRES_URL): without
// one the test skips, or fails under CI. The check connects on its own, so
// that any failure of openStore itself fails the test.
func TestReplayRedis(t *testing.T) {
	testsvc.Redis(t)
	checkReplays(t, testsvc.RedisURL())
}

func TestReplayPostgres(t *testing.T) {
	testsvc.PostgresPool(t, nil)
	checkReplays(t, testsvc.PostgresURL())
}

func TestReplayMariaDB(t *testing.T) {
	testsvc.MariaDB(t)
	checkReplays(t, mariaURL(t))
}

// mariaURL is the -store URL of the MariaDB the tests use.
func mariaURL(t *testing.T) string {
	cfg, err := mysql.ParseDSN(testsvc.MariaDBDSN())
	if err != nil {
		t.Fatal(err)
	}
	u := url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + cfg.DBName}
	if cfg.Passwd != "" {
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
	} else {
		u.User = url.User(cfg.User)
	}
	return u.String()
}

func TestOpenStoreRejects(t *testing.T) {
	for _, spec := range []string{"mysql://x", "sqlite://x", "redis://:bad:port/x"} {
		if _, err := openStore(context.Background(), spec); err == nil || !strings.Contains(err.Error(), "-store") {
			t.Errorf("openStore(%q): %v, want an error naming -store", spec, err)
		}
	}
}
