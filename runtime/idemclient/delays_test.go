package idemclient

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// run sends one call through tr to a server scripted with answers and
// returns the final status (0 on error), the call, and what the server saw.
func run(t *testing.T, tr *Transport, answers ...func(http.ResponseWriter)) (int, *Call, *scripted) {
	t.Helper()
	s, srv := newScripted(t, answers...)
	ctx, call := WithCall(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/api/objects", strings.NewReader(`{"same":"body"}`))
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Logf("RoundTrip: %v", err)
		return 0, call, s
	}
	resp.Body.Close()
	return resp.StatusCode, call, s
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	tr := &Transport{Routes: objectRoutes}
	clock.install(tr)
	// The date is written from the fake clock as it will read after the
	// first wait: now + 2s, plus 3s.
	date := clock.Now().Add(5 * time.Second).Format(http.TimeFormat)
	code, call, s := run(t, tr,
		status(http.StatusServiceUnavailable, "Retry-After", "2"),
		status(http.StatusTooManyRequests, "Retry-After", date),
		problemAnswer(http.StatusConflict, `{"type":"urn:idemgen:problem:idempotency_key_in_use","status":409,"code":"idempotency_key_in_use"}`, "Retry-After", "4"),
		status(http.StatusCreated, "Idempotency-Replayed", "true"))
	if code != http.StatusCreated || call.Attempts != 4 || !call.Replayed {
		t.Fatalf("status %d, call %+v", code, call)
	}
	if w := clock.all(); !slices.Equal(w, []time.Duration{2 * time.Second, 3 * time.Second, 4 * time.Second}) {
		t.Errorf("waits %v, want [2s 3s 4s]", w)
	}
	// Every attempt carried the same single key and the same body.
	for i := range s.keys {
		if len(s.keys[i]) != 1 || s.keys[i][0] != call.Key || s.bodies[i] != `{"same":"body"}` {
			t.Errorf("attempt %d: keys %q body %q, want [%s] and the first body", i+1, s.keys[i], s.bodies[i], call.Key)
		}
	}
	if len(call.Key) < 22 {
		t.Errorf("key %q: want at least 128 bits", call.Key)
	}
}

func TestBackoffIsCappedAndBounded(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		max      time.Duration
		attempts int
		want     []time.Duration
	}{
		{"defaults", 0, 0, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond}},
		{"capped", 250 * time.Millisecond, 6, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond, 250 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := &Transport{Routes: objectRoutes, MaxDelay: tc.max, MaxAttempts: tc.attempts,
				jitter: func(limit time.Duration) time.Duration { return limit }}
			clock.install(tr)
			code, call, s := run(t, tr, status(http.StatusBadGateway))
			// The last 502 is returned as it came.
			if code != http.StatusBadGateway || call.Attempts != len(tc.want)+1 || s.attempts() != call.Attempts {
				t.Fatalf("status %d, call %+v, server saw %d", code, call, s.attempts())
			}
			if w := clock.all(); !slices.Equal(w, tc.want) {
				t.Errorf("waits %v, want %v", w, tc.want)
			}
		})
	}
}

func TestJitterStaysWithinTheLimit(t *testing.T) {
	tr := &Transport{BaseDelay: time.Millisecond, MaxDelay: 8 * time.Millisecond}
	seen := map[time.Duration]bool{}
	for range 2000 {
		d := tr.backoff(3) // limit 4ms
		if d < 0 || d > 4*time.Millisecond {
			t.Fatalf("backoff %v outside [0, 4ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays: not jittered", len(seen))
	}
}

// No retry starts past the deadline: MaxElapsed, half the TTL, or the
// request context's.
func TestRetriesEndAtTheDeadline(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		maxElapsed time.Duration
		ttl        time.Duration
		retryAfter string
		attempts   int
	}{
		{"Retry-After past MaxElapsed", 5 * time.Second, 0, "10", 1},
		{"Retry-After within MaxElapsed", 5 * time.Second, 0, "4", 2},
		{"Retry-After past half the TTL", 0, 4 * time.Second, "3", 1},
		{"Retry-After within half the TTL", 0, 4 * time.Second, "2", 2},
		{"waits add up past MaxElapsed", 5 * time.Second, 0, "2", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := newFakeClock()
			tr := &Transport{MaxElapsed: tc.maxElapsed,
				Routes: []Route{{Method: "POST", Pattern: "/objects", Policy: Policy{TTL: tc.ttl}}}}
			clock.install(tr)
			code, call, _ := run(t, tr,
				status(http.StatusServiceUnavailable, "Retry-After", tc.retryAfter),
				status(http.StatusServiceUnavailable, "Retry-After", tc.retryAfter),
				status(http.StatusServiceUnavailable, "Retry-After", tc.retryAfter),
				status(http.StatusCreated))
			if call.Attempts != tc.attempts {
				t.Errorf("%d attempts (waits %v), want %d", call.Attempts, clock.all(), tc.attempts)
			}
			if want := map[bool]int{true: 201, false: 503}[tc.attempts == 4]; code != want {
				t.Errorf("status %d, want %d", code, want)
			}
		})
	}

	t.Run("Retry-After past the context's deadline", func(t *testing.T) {
		s, srv := newScripted(t, status(http.StatusServiceUnavailable, "Retry-After", "20"), status(http.StatusCreated))
		sl := &sleeps{}
		tr := &Transport{Routes: objectRoutes, sleep: sl.sleep}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/objects", nil)
		resp, err := tr.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 503 || s.attempts() != 1 || len(sl.all()) != 0 {
			t.Errorf("status %d after %d attempts, waits %v: want the 503 at once", resp.StatusCode, s.attempts(), sl.all())
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 3 ", 3 * time.Second, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", time.Duration(1<<63-1) / time.Second * time.Second, true}, // past uint64
		{"18446744073709551615", time.Duration(1<<63-1) / time.Second * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Tuesday, 01-Dec-26 10:00:07 GMT", 7 * time.Second, true}, // RFC 850, which recipients must accept
	} {
		h := http.Header{}
		if tc.in != "" {
			h.Set("Retry-After", tc.in)
		}
		got, ok := retryAfter(h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Retry-After %q: %v %v, want %v %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
