package main

import (
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// takeoverDelay is A's -delay in the takeover test: A is stopped well
// before it ends, and continued well after, so that its handler goes
// straight on to the commit when it wakes.
const takeoverDelay = 800 * time.Millisecond

// TestFaultTakeover pauses replica A (SIGSTOP) while its handlers wait in
// -delay after their INSERT, waits past the lease, and retries on B,
// which takes each key over and pays. Continued (SIGCONT), A's commits
// are refused, being fenced by tokens B replaced, and roll A's payments
// back: one payment per key. With -tx=false A's payments committed before
// the pause, and every key is paid twice.
func TestFaultTakeover(t *testing.T) {
	eachDB(t, func(t *testing.T, db *faultDB) {
		t.Run("tx", func(t *testing.T) { takeoverRounds(t, db, true, faultRounds(3)) })
		t.Run("tx=false", func(t *testing.T) { takeoverRounds(t, db, false, faultRounds(2)) })
	})
}

func takeoverRounds(t *testing.T, db *faultDB, tx bool, rounds int) {
	prefix := db.keyPrefix(t, "takeover")
	common := []string{"-store", db.storeURL(db.addr), "-tx=" + strconv.FormatBool(tx), "-lease", faultLease.String()}
	a := startReplica(t, "A", append(common, "-delay", takeoverDelay.String())...)
	b := startReplica(t, "B", common...)
	fences := map[string]int64{}
	retried := map[string]answer{}
	for round := range rounds {
		keys := roundKeys(prefix, round, outageBatch)
		answers := payAll(a.url, keys)
		for _, f := range a.await("inserted", len(keys), 15*time.Second) {
			fences[f[2]], _ = strconv.ParseInt(f[1], 10, 64)
		}
		a.signal(syscall.SIGSTOP)
		// Past A's delay and a whole lease after its last renewal.
		time.Sleep(takeoverDelay + 2*faultLease)
		for _, k := range keys {
			retried[k] = retry(t, b.url, k)
		}
		a.signal(syscall.SIGCONT)
		for k, got := range answers() {
			switch {
			case got.err != nil:
				t.Errorf("%s: A: %v", k, got.err)
			case tx && got.status != http.StatusConflict && got.status != http.StatusServiceUnavailable:
				t.Errorf("%s: A answered %v after the takeover, want 409 (its commit refused) or 503 (its lease lost)", k, got)
			}
		}
	}
	// A reports a refused commit as ownership_lost with the handler's
	// status; a renewal refused first reports it with none (0), and then
	// the handler stops before its commit.
	refused := map[string]bool{}
	for _, f := range a.printed("outcome") {
		if f[1] == "ownership_lost" && f[2] == "201" {
			refused[f[3]] = true
		}
	}
	t.Logf("tx=%v: A's response refused by the store for %d of %d keys (the others stopped by the lost lease first)", tx, len(refused), len(retried))
	if tx && len(refused) == 0 {
		t.Errorf("no commit of A's was refused: the test did not reach the fenced commit")
	}
	checkRetriedOnce(t, db, prefix, tx, retried, fences, "takeover")
}
