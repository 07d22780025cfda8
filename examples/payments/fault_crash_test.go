package main

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The fault tests' lease: short, so that a retry takes a dead owner's key
// over soon, and long enough that a live owner keeps it on a busy machine.
const faultLease = 300 * time.Millisecond

// crashBatch is how many requests a crash round kills at once.
const crashBatch = 5

// faultRounds is n, or one round under -short.
func faultRounds(n int) int {
	if testing.Short() {
		return 1
	}
	return n
}

// TestFaultCrash kills replica A (SIGKILL) with requests stopped at a
// point of createPayment, then retries each on replica B. Completing the
// key in the payment's transaction makes the outcome exact: a crash before
// the commit leaves neither payment nor record, so the retry runs once;
// after it the retry replays. With -tx=false the payment commits on its
// own, and a crash between it and the key's completion pays twice.
func TestFaultCrash(t *testing.T) {
	eachDB(t, func(t *testing.T, db *faultDB) {
		for _, c := range []struct {
			point  string
			tx     bool
			rounds int
		}{
			{crashBeforeInsert, true, 7},
			{crashAfterInsert, true, 7},
			{crashAfterCommit, true, 7},
			{crashAfterInsert, false, 3}, // the contrast: the old window
		} {
			name := c.point
			if !c.tx {
				name += "-tx=false"
			}
			t.Run(name, func(t *testing.T) { crashRounds(t, db, c.point, c.tx, faultRounds(c.rounds)) })
		}
	})
}

func crashRounds(t *testing.T, db *faultDB, point string, tx bool, rounds int) {
	prefix := db.keyPrefix(t, point)
	flags := []string{"-store", db.storeURL(db.addr), "-tx=" + strconv.FormatBool(tx), "-lease", faultLease.String()}
	b := startReplica(t, "B", flags...)
	killed := 0
	fences := map[string]int64{} // A's fence, for each key A inserted a payment under
	retried := map[string]answer{}
	for round := range rounds {
		a := startReplica(t, fmt.Sprintf("A%d", round), append(flags, "-crash", point, "-batch", strconv.Itoa(crashBatch))...)
		keys := roundKeys(prefix, round, crashBatch)
		for k, got := range payAll(a.url, keys)() {
			if got.err == nil {
				t.Errorf("%s: A answered %v, want it killed first", k, got)
				continue
			}
			killed++
		}
		if !a.killedItself(15 * time.Second) {
			t.Fatalf("round %d: A ended with %v, want killed by its own SIGKILL", round, a.state)
		}
		if n := len(a.printed("reached")); n != crashBatch {
			t.Errorf("round %d: %d requests reached %s before the kill, want %d", round, n, point, crashBatch)
		}
		for _, f := range a.printed("inserted") {
			fence, _ := strconv.ParseInt(f[1], 10, 64)
			fences[f[2]] = fence
		}
		for _, k := range keys {
			retried[k] = retry(t, b.url, k)
		}
	}

	rows := db.payments(t, prefix)
	twice := 0
	for k, got := range retried {
		if got.err != nil || got.status != http.StatusCreated {
			t.Errorf("%s: the retry on B got %v, want 201", k, got)
			continue
		}
		if len(rows[k]) == 2 {
			twice++
		}
		if !tx {
			continue // the contrast is counted below
		}
		wantReplay := point == crashAfterCommit
		aFence, inserted := fences[k]
		if inserted != (point != crashBeforeInsert) {
			t.Errorf("%s: A reported an insert: %v, with its crash %s", k, inserted, point)
		}
		switch {
		case got.replayed != wantReplay:
			t.Errorf("%s: the retry's Idempotency-Replayed is %v after a crash %s, want %v", k, got.replayed, point, wantReplay)
		case len(rows[k]) != 1:
			t.Errorf("%s: %d payments after a crash %s, want 1: %v", k, len(rows[k]), point, rows[k])
		case rows[k][0].id != got.id:
			t.Errorf("%s: the payment is %s, the retry answered %s", k, rows[k][0].id, got.id)
		case wantReplay && rows[k][0].fence != aFence:
			t.Errorf("%s: the replayed payment has fence %d, A's was %d", k, rows[k][0].fence, aFence)
		case !wantReplay && inserted && rows[k][0].fence <= aFence:
			t.Errorf("%s: the payment has fence %d, not above the crashed A's %d", k, rows[k][0].fence, aFence)
		}
	}
	t.Logf("tx=%v, crash %s: %d requests killed in %d rounds; %d keys, %d rows, %d keys paid twice",
		tx, point, killed, rounds, len(retried), countRows(rows), twice)
	if !tx && twice == 0 {
		t.Errorf("tx=false: no key paid twice after %d crashes %s, want the window to show", killed, point)
	}
}

// countRows is the number of rows in rows.
func countRows(rows map[string][]paymentRow) int {
	n := 0
	for _, rs := range rows {
		n += len(rs)
	}
	return n
}
