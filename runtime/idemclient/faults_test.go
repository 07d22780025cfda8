package idemclient

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Each fault hits the first attempt of every call; every call must still
// create exactly one object, and the client must get that object.
//
// Without keep-alive net/http never resends on its own, so every retry is
// this package's; with it (the default Base), net/http resends some
// requests on reused connections itself, and the result must be the same.
func TestFaultsCreateOneObjectPerCall(t *testing.T) {
	faults := []fault{resetBeforeForward, resetWhileRunning, dropAfterAnswer, resetAfterAnswer,
		duplicate, storeOutage, badGateway, tooManyRequests}
	for _, keepAlive := range []bool{false, true} {
		for _, f := range faults {
			t.Run(fmt.Sprintf("%s/keep-alive=%v", faultNames[f], keepAlive), func(t *testing.T) {
				t.Parallel()
				faultRun(t, f, keepAlive)
			})
		}
	}
}

func faultRun(t *testing.T, f fault, keepAlive bool) {
	o, srv := newObjects(t, 100*time.Millisecond, nil)
	px := newProxy(t, srv.URL, o, f)
	sl := &sleeps{scale: 10} // a 1 s Retry-After waits 100 ms
	base := &http.Transport{DisableKeepAlives: !keepAlive}
	t.Cleanup(base.CloseIdleConnections)
	tr := &Transport{Base: base, Routes: objectRoutes, sleep: sl.sleep}
	client := &http.Client{Transport: tr}
	const calls = 6
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() {
			body := fmt.Sprintf(`{"n":%d}`, i)
			got, call, resp, err := post(context.Background(), client, px.URL+objectsPath, body)
			if err != nil {
				t.Errorf("call %d: %v (attempts %d)", i, err, call.Attempts)
				return
			}
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("call %d: status %d, want 201", i, resp.StatusCode)
				return
			}
			runs, id := o.runsOf(call.Key)
			if runs != 1 || got.ID != id || got.Key != call.Key || got.Body != body {
				t.Errorf("call %d (key %s): %d handler runs, got %+v, server made %s", i, call.Key, runs, got, id)
			}
			if call.Attempts < 2 && !keepAlive {
				t.Errorf("call %d: %d attempts, want a retry after the fault", i, call.Attempts)
			}
			switch f {
			case dropAfterAnswer, resetAfterAnswer, duplicate: // with or without keep-alive
				// The server had run it: the retry is a replay.
				if !call.Replayed {
					t.Errorf("call %d: not a replay after %d attempts", i, call.Attempts)
				}
			}
		})
	}
	wg.Wait()
	if n := o.total(); n != calls {
		t.Errorf("%d objects for %d calls", n, calls)
	}
}

// A first request that runs 1.5 s, cut off from the client at once: the
// retries meet 409 in use, wait the server's Retry-After each time, and
// end with the replay of the one object.
func TestSlowFirstRequestRetriesTheConflict(t *testing.T) {
	t.Parallel()
	o, srv := newObjects(t, 1500*time.Millisecond, nil)
	px := newProxy(t, srv.URL, o, resetWhileRunning)
	sl := &sleeps{scale: 1} // real waits: the server must finish meanwhile
	tr := &Transport{Base: &http.Transport{DisableKeepAlives: true}, Routes: objectRoutes, sleep: sl.sleep}
	start := time.Now()
	got, call, resp, err := post(context.Background(), &http.Client{Transport: tr}, px.URL+objectsPath, `{"slow":true}`)
	if err != nil {
		t.Fatalf("%v (attempts %d)", err, call.Attempts)
	}
	elapsed := time.Since(start)
	runs, id := o.runsOf(call.Key)
	if resp.StatusCode != http.StatusCreated || runs != 1 || got.ID != id || !call.Replayed {
		t.Fatalf("status %d, %d runs, got %+v want %s, replayed %v", resp.StatusCode, runs, got, id, call.Replayed)
	}
	// The first wait is the backoff after the reset; every later one is
	// a 409's Retry-After of one second.
	waits := sl.all()
	if len(waits) < 2 || call.Attempts != len(waits)+1 {
		t.Fatalf("waits %v for %d attempts", waits, call.Attempts)
	}
	for _, d := range waits[1:] {
		if d != time.Second {
			t.Errorf("waits %v: want 1s after each 409", waits)
		}
	}
	if elapsed < 1500*time.Millisecond {
		t.Errorf("done after %v, before the first request could finish", elapsed)
	}
	t.Logf("attempts %d, waits %v, elapsed %v", call.Attempts, waits, elapsed)
}
