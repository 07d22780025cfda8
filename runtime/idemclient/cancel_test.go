package idemclient

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A cancelled context ends the call at once, while it waits for a retry
// or while an attempt is under way, with the context's error.
func TestCancellationStopsTheRetries(t *testing.T) {
	t.Parallel()
	t.Run("while waiting", func(t *testing.T) {
		t.Parallel()
		s, srv := newScripted(t, status(http.StatusServiceUnavailable, "Retry-After", "5"))
		tr := &Transport{Routes: objectRoutes} // real timers
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		ctx, call := WithCall(ctx)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+objectsPath, nil)
		start := time.Now()
		_, err := (&http.Client{Transport: tr}).Do(req)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %v: the wait was not cut short", d)
		}
		if s.attempts() != 1 || call.Attempts != 1 {
			t.Errorf("%d attempts (call %+v), want 1", s.attempts(), call)
		}
	})
	t.Run("during an attempt", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}))
		t.Cleanup(srv.Close)
		sl := &sleeps{}
		tr := &Transport{Routes: objectRoutes, sleep: sl.sleep}
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+objectsPath, nil)
		_, err := tr.RoundTrip(req)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v, want context.Canceled", err)
		}
		if len(sl.all()) != 0 {
			t.Errorf("waits %v after the cancellation, want none", sl.all())
		}
	})
	t.Run("http.Client.Timeout", func(t *testing.T) {
		t.Parallel()
		s, srv := newScripted(t, status(http.StatusServiceUnavailable, "Retry-After", "5"))
		c := &http.Client{Transport: &Transport{Routes: objectRoutes}, Timeout: 200 * time.Millisecond}
		req, _ := http.NewRequest(http.MethodPost, srv.URL+objectsPath, nil)
		resp, err := c.Do(req)
		// The deadline falls inside the 5 s wait, so the 503 comes back
		// at once rather than an error after 200 ms.
		if err != nil || resp.StatusCode != 503 || s.attempts() != 1 {
			t.Fatalf("%v, %d attempts", err, s.attempts())
		}
		resp.Body.Close()
	})
}
