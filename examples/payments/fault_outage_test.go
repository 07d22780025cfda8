package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// outageBatch is how many requests each outage or takeover round has in
// flight when the fault comes.
const outageBatch = 4

// TestFaultOutage cuts replica A off its database (a proxy between them
// drops every connection and refuses new ones) while A's handlers wait in
// -delay after their INSERT. A's lease renewals fail, the handlers stop
// with 503, and nothing can commit. Once the database is back, a retry on
// B runs once. With -tx=false the payment committed on its own before the
// outage, and the retry pays again.
func TestFaultOutage(t *testing.T) {
	eachDB(t, func(t *testing.T, db *faultDB) {
		t.Run("tx", func(t *testing.T) { outageRounds(t, db, true, faultRounds(4)) })
		t.Run("tx=false", func(t *testing.T) { outageRounds(t, db, false, faultRounds(2)) })
	})
}

func outageRounds(t *testing.T, db *faultDB, tx bool, rounds int) {
	prefix := db.keyPrefix(t, "outage")
	proxy := startProxy(t, db.addr)
	common := []string{"-tx=" + strconv.FormatBool(tx), "-lease", faultLease.String()}
	// The delay is far longer than the lease: the lost lease, not the
	// delay, ends the handler, before it could answer 201.
	a := startReplica(t, "A", append(common, "-store", db.storeURL(proxy.addr()), "-delay", "10s")...)
	b := startReplica(t, "B", append(common, "-store", db.storeURL(db.addr))...)
	fences := map[string]int64{}
	retried := map[string]answer{}
	for round := range rounds {
		keys := roundKeys(prefix, round, outageBatch)
		answers := payAll(a.url, keys)
		for _, f := range a.await("inserted", len(keys), 15*time.Second) {
			fences[f[2]], _ = strconv.ParseInt(f[1], 10, 64)
		}
		proxy.cut()
		for k, got := range answers() {
			if got.err != nil || got.status != http.StatusServiceUnavailable {
				t.Errorf("%s: A answered %v during the outage, want 503", k, got)
			}
		}
		proxy.restore()
		for _, k := range keys {
			retried[k] = retry(t, b.url, k)
		}
	}
	checkRetriedOnce(t, db, prefix, tx, retried, fences, "outage")
}

// checkRetriedOnce checks the payments after faults that ended A's
// requests before their commit: with tx, each key's retry ran once (201,
// not replayed) and made the key's only payment, under a fence above A's;
// without, at least one key must show the double payment.
func checkRetriedOnce(t *testing.T, db *faultDB, prefix string, tx bool, retried map[string]answer, fences map[string]int64, fault string) {
	t.Helper()
	rows := db.payments(t, prefix)
	twice := 0
	for k, got := range retried {
		if len(rows[k]) == 2 {
			twice++
		}
		if got.err != nil || got.status != http.StatusCreated || got.replayed {
			t.Errorf("%s: the retry on B got %v, want 201 not replayed", k, got)
			continue
		}
		if !tx {
			continue
		}
		switch {
		case len(rows[k]) != 1:
			t.Errorf("%s: %d payments after the %s, want 1: %v", k, len(rows[k]), fault, rows[k])
		case rows[k][0].id != got.id:
			t.Errorf("%s: the payment is %s, the retry answered %s", k, rows[k][0].id, got.id)
		case rows[k][0].fence <= fences[k]:
			t.Errorf("%s: the payment has fence %d, not above A's %d", k, rows[k][0].fence, fences[k])
		}
	}
	t.Logf("tx=%v, %s: %d keys, %d rows, %d keys paid twice", tx, fault, len(retried), countRows(rows), twice)
	if !tx && twice == 0 {
		t.Errorf("tx=false: no key paid twice after the %s, want the window to show", fault)
	}
}
