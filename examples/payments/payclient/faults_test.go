package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
	openapi_types "github.com/oapi-codegen/runtime/types"
)

// faultCase is one fault payclient must come through with exactly one
// payment per call.
type faultCase struct {
	name  string
	fault fault
	delay time.Duration // the server's -delay
	// n is how many payments payclient creates (short under -short).
	n, short int
	// check looks at what the proxy saw, beyond the payments themselves.
	check func(t *testing.T, rec record, printed []made)
}

var faultCases = []faultCase{
	{"drop after answer", dropAnswer, 0, 20, 5, checkDropped},
	{"reset on reused connection", resetReused, 0, 20, 5, checkResetReused},
	// The copy comes 50 ms into a 150 ms request.
	{"duplicate while running", duplicate, 150 * time.Millisecond, 20, 5, checkDuplicates},
	{"store outage 503", storeOutage, 0, 20, 5, checkOutage},
	// The retry comes within milliseconds of the cut, into a 1.5 s
	// request: 409, a second, 409 again, a second, the replay.
	{"slow first request", cutWhileRunning, 1500 * time.Millisecond, 3, 1, checkSlowFirst},
}

// TestFaults runs payclient against the example server, on each store,
// through a proxy that injects one fault per case, and checks that every
// call made exactly one payment and that payclient reported each payment
// the server made.
func TestFaults(t *testing.T) {
	eachStore(t, func(t *testing.T, st testStore) {
		for _, fc := range faultCases {
			t.Run(fc.name, func(t *testing.T) { faultRound(t, st, fc) })
		}
	})
}

func faultRound(t *testing.T, st testStore, fc faultCase) {
	n := fc.n
	if testing.Short() {
		n = fc.short
	}
	args := []string{"-store", st.spec}
	if fc.delay > 0 {
		args = append(args, "-delay", fc.delay.String())
	}
	srv := startServer(t, args...)
	px := newFaultProxy(t, srv.url, fc.fault)

	var stdout, stderr bytes.Buffer
	start := time.Now()
	err := run(context.Background(), px.url, n, &stdout, &stderr)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	printed := parseOutput(t, stdout.String(), n)
	rec := px.record()
	checkPayments(t, st, srv, rec, printed)
	fc.check(t, rec, printed)
	if t.Failed() || testing.Verbose() {
		t.Logf("stderr:\n%s", &stderr)
	}
	requests, injected := 0, 0
	for _, as := range rec.arrivals {
		requests += len(as)
		for _, a := range as {
			if a.injected {
				injected++
			}
		}
	}
	t.Logf("%s, %s: %d payments in %v, %d requests, %d faults injected",
		st.name, fc.name, n, elapsed.Round(time.Millisecond), requests, injected)
}

// parseOutput reads payclient's stdout: a "key id" line per payment,
// then "n created".
func parseOutput(t *testing.T, out string, n int) []made {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != n+1 || lines[n] != fmt.Sprintf("%d created", n) {
		t.Fatalf("stdout:\n%s\nwant %d payment lines and %q", out, n, fmt.Sprintf("%d created", n))
	}
	printed := make([]made, n)
	for i, line := range lines[:n] {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("line %d %q: want a key and an id", i+1, line)
		}
		printed[i] = made{key: f[0], id: f[1]}
	}
	return printed
}

// checkPayments checks that the server made exactly the payments
// payclient printed, one per call: as the proxy saw its answers (every
// 201 that was not a replay, those the client never got included), as
// the payments table holds them (database stores), and as the server
// serves them (GET /payments/{id}, straight to the server).
func checkPayments(t *testing.T, st testStore, srv *exampleServer, rec record, printed []made) {
	t.Helper()
	keys := make([]string, len(printed))
	ids := map[string]bool{}
	for i, p := range printed {
		keys[i] = p.key
		if ids[p.id] {
			t.Errorf("payment %s printed twice", p.id)
		}
		ids[p.id] = true
	}
	// The proxy saw every request that reached the server: a key it saw
	// that payclient did not print would be a call payclient lost.
	if !slices.Equal(rec.keys, keys) {
		t.Errorf("the proxy saw the keys %v, payclient printed %v", rec.keys, keys)
	}
	for _, p := range printed {
		if made := rec.made(p.key); len(made) != 1 || made[0] != p.id {
			t.Errorf("%s: the server made %v, payclient printed %s", p.key, made, p.id)
		}
	}
	if st.rows != nil {
		rows := st.rows(t, keys)
		for _, p := range printed {
			if got := rows[p.key]; len(got) != 1 || got[0] != p.id {
				t.Errorf("%s: the payments table holds %v, payclient printed %s", p.key, got, p.id)
			}
		}
	}
	direct, err := NewClientWithResponses(srv.url)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range printed {
		var id openapi_types.UUID
		if err := id.UnmarshalText([]byte(p.id)); err != nil {
			t.Errorf("printed id %q: %v", p.id, err)
			continue
		}
		got, err := direct.GetPaymentWithResponse(context.Background(), id)
		if err != nil || got.JSON200 == nil || got.JSON200.Id != id || got.JSON200.Amount != newPayment.Amount {
			t.Errorf("GET /payments/%s: %v %v", p.id, err, got)
		}
	}
}

// checkDropped: every first request was answered by the server and
// dropped, and the retry got the replay.
func checkDropped(t *testing.T, rec record, printed []made) {
	for _, p := range printed {
		as := rec.arrivals[p.key]
		if !as[0].injected || len(as) != 2 || !as[1].replayed || as[1].status != http.StatusCreated {
			t.Errorf("%s: requests %+v, want the dropped one and a replayed 201", p.key, as)
		}
	}
}

// checkResetReused: the first request of a key that came on a reused
// connection was reset after the server answered, and the retry got the
// replay; one that came on a fresh connection went through. Every key
// after the first should come on a reused one, but net/http dials anew
// now and then when the previous answer's connection is not back in its
// pool yet, so most, not all, must have been reset.
func checkResetReused(t *testing.T, rec record, printed []made) {
	reset := 0
	for _, p := range printed {
		as := rec.arrivals[p.key]
		last := as[len(as)-1]
		switch {
		case as[0].injected:
			reset++
			if len(as) != 2 || !last.replayed || last.status != http.StatusCreated {
				t.Errorf("%s: requests %+v, want the reset one and a replayed 201", p.key, as)
			}
		case len(as) != 1 || last.replayed || last.status != http.StatusCreated:
			t.Errorf("%s, on a fresh connection: requests %+v, want one 201", p.key, as)
		}
	}
	if reset < len(printed)/2 {
		t.Errorf("%d of %d calls reset on a reused connection, want most", reset, len(printed))
	}
	t.Logf("%d of %d calls reset on a reused connection", reset, len(printed))
}

// checkDuplicates: every call had a copy sent while it ran. The copy
// must have been turned away (409 in use) or answered with the same
// payment; which of the two the server saw first may vary, but most
// copies must have met the first still running, or the fault did not
// happen.
func checkDuplicates(t *testing.T, rec record, printed []made) {
	inUse := 0
	for _, p := range printed {
		var copies []exchange
		for _, ex := range rec.exchanges[p.key] {
			if ex.copy {
				copies = append(copies, ex)
			}
		}
		if len(copies) != 1 {
			t.Errorf("%s: %d copies sent, want 1", p.key, len(copies))
			continue
		}
		switch c := copies[0]; {
		case c.status == http.StatusConflict:
			inUse++
		case c.status == http.StatusCreated && c.id == p.id:
		default:
			t.Errorf("%s: the copy got %+v", p.key, c)
		}
	}
	if inUse < (len(printed)+1)/2 {
		t.Errorf("%d of %d copies met the first request running (409), want most", inUse, len(printed))
	}
	t.Logf("%d of %d copies got 409 in use", inUse, len(printed))
}

// checkOutage: every tenth key got the 503, and its retry came no sooner
// than the Retry-After; the others went through at once.
func checkOutage(t *testing.T, rec record, printed []made) {
	for i, p := range printed {
		as := rec.arrivals[p.key]
		hit := i%10 == 0
		if as[0].injected != hit || len(as) != 1+btoi(hit) || as[len(as)-1].status != http.StatusCreated {
			t.Errorf("%s (call %d): requests %+v", p.key, i+1, as)
		}
		checkWaits(t, p.key, as, http.StatusServiceUnavailable)
	}
}

// checkSlowFirst: the first request was cut off while it ran; the
// retries met 409 in use, each waited the Retry-After, and the last got
// the replay of the payment the first request made.
func checkSlowFirst(t *testing.T, rec record, printed []made) {
	for _, p := range printed {
		as := rec.arrivals[p.key]
		conflicts := 0
		for _, a := range as {
			if a.status == http.StatusConflict {
				conflicts++
			}
		}
		last := as[len(as)-1]
		if !as[0].injected || conflicts == 0 || last.status != http.StatusCreated || !last.replayed {
			t.Errorf("%s: requests %+v, want the cut one, 409s and a replayed 201", p.key, as)
		}
		for _, ex := range rec.exchanges[p.key] {
			if made := ex.status == http.StatusCreated && !ex.replayed; made != ex.background {
				t.Errorf("%s: exchanges %+v, want the payment made by the request cut off, and only by it", p.key, rec.exchanges[p.key])
			}
		}
		checkWaits(t, p.key, as, http.StatusConflict)
	}
}

// checkWaits checks that each request after an answer of status came at
// least the Retry-After later. The proxy takes the answer's time before
// the server flushes it, so the client's wait starts later still.
func checkWaits(t *testing.T, key string, as []arrival, status int) {
	t.Helper()
	for i, a := range as[:len(as)-1] {
		if a.status != status {
			continue
		}
		if wait := as[i+1].at.Sub(a.answeredAt); wait < contract.RetryAfterSeconds*time.Second {
			t.Errorf("%s: request %d came %v after the %d, want at least Retry-After: %d", key, i+2, wait, status, contract.RetryAfterSeconds)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
