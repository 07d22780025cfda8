package idemclient

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// refused sends one call with key (empty: the transport's own) and
// returns the *ProblemError it must end in.
func refused(t *testing.T, c *http.Client, target, key, body string) (*ProblemError, *Call) {
	t.Helper()
	ctx, call := WithCall(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("status %d, want a ProblemError", resp.StatusCode)
	}
	var ue *url.Error
	var pe *ProblemError
	if !errors.As(err, &ue) || !errors.As(err, &pe) {
		t.Fatalf("error %T %v, want a *ProblemError inside a *url.Error", err, err)
	}
	return pe, call
}

func TestRefusalsAreNotRetried(t *testing.T) {
	t.Parallel()
	o, srv := newObjects(t, 0, nil, idempotency.WithMaxRequestBody(64))
	sl := &sleeps{}
	client := &http.Client{Transport: &Transport{Routes: objectRoutes, sleep: sl.sleep}}
	target := srv.URL + objectsPath

	check := func(t *testing.T, pe *ProblemError, call *Call, wantStatus int, wantCode, wantKey string) {
		t.Helper()
		if pe.Status != wantStatus || pe.Code != wantCode || pe.Type != contract.ProblemTypePrefix+wantCode ||
			pe.Title == "" || pe.Detail == "" || pe.Attempts != 1 || pe.Key != wantKey {
			t.Errorf("got %+v, want %d %s after 1 attempt with key %q", pe, wantStatus, wantCode, wantKey)
		}
		if call.Attempts != 1 || call.Key != wantKey {
			t.Errorf("call %+v", call)
		}
		if strings.Contains(pe.Error(), wantKey) || !strings.Contains(pe.Error(), wantCode) {
			t.Errorf("Error() = %q: want the code and never the key", pe.Error())
		}
	}

	t.Run("400 invalid key", func(t *testing.T) {
		pe, call := refused(t, client, target, "tab\there", `{}`)
		check(t, pe, call, 400, CodeKeyInvalid, "tab\there")
	})
	t.Run("413 body too large", func(t *testing.T) {
		pe, call := refused(t, client, target, "big-1", strings.Repeat("x", 1000))
		check(t, pe, call, 413, CodeBodyTooLarge, "big-1")
	})
	t.Run("422 key reused", func(t *testing.T) {
		if _, _, resp, err := post(context.Background(), client, target, `{"a":1}`); err != nil || resp.StatusCode != 201 {
			t.Fatalf("first call: %v", err)
		}
		ctx, first := WithCall(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(`{"a":1}`))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		pe, call := refused(t, client, target, first.Key, `{"a":2}`)
		check(t, pe, call, 422, CodeKeyReused, first.Key)
		if runs, _ := o.runsOf(first.Key); runs != 1 {
			t.Errorf("%d runs under the reused key", runs)
		}
	})
	if w := sl.all(); len(w) != 0 {
		t.Errorf("waits %v: a refusal was retried", w)
	}
}

// A 409 in use that outlasts the retries ends as a ProblemError too,
// after waiting the server's Retry-After between attempts.
func TestConflictThatOutlastsTheRetries(t *testing.T) {
	t.Parallel()
	release, running := make(chan struct{}), make(chan struct{})
	store := idempotency.NewMemoryStore(time.Hour)
	t.Cleanup(func() { store.Close() })
	m := idempotency.New(store)
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(running)
		<-release
		w.WriteHeader(http.StatusCreated)
	})))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs before srv.Close

	const key = "busy-key"
	go func() {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+objectsPath, strings.NewReader(`{}`))
		req.Header.Set("Idempotency-Key", key)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-running

	sl := &sleeps{}
	client := &http.Client{Transport: &Transport{Routes: objectRoutes, MaxAttempts: 3, sleep: sl.sleep}}
	pe, call := refused(t, client, srv.URL+objectsPath, key, `{}`)
	if pe.Status != 409 || pe.Code != CodeKeyInUse || pe.Attempts != 3 || call.Attempts != 3 {
		t.Errorf("got %+v, call %+v: want 409 in use after 3 attempts", pe, call)
	}
	if w := sl.all(); len(w) != 2 || w[0] != time.Second || w[1] != time.Second {
		t.Errorf("waits %v, want two of the 409's 1s", w)
	}
}

// The application's own 4xx, problem+json or not, reaches the caller as
// a response, whole and after one attempt.
func TestApplicationRefusalsAreReturnedWhole(t *testing.T) {
	t.Parallel()
	cases := map[string]func(http.ResponseWriter){
		"plain 400": status(http.StatusBadRequest),
		"own problem 400": problemAnswer(http.StatusBadRequest,
			`{"type":"https://example.com/validation","title":"Bad amount","status":400,"code":"validation_failed"}`),
		"own 409 with our code but its own type": problemAnswer(http.StatusConflict,
			`{"type":"https://example.com/busy","status":409,"code":"idempotency_key_in_use"}`, "Retry-After", "1"),
		"our code under another status": problemAnswer(http.StatusNotFound, contract.KeyReused.Body()),
		"problem too long to be ours": problemAnswer(http.StatusUnprocessableEntity,
			`{"code":"idempotency_key_reused","pad":"`+strings.Repeat("x", maxProblemBody)+`"}`),
		"not JSON": problemAnswer(http.StatusUnprocessableEntity, `{"code":`),
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			want := httptest.NewRecorder()
			answer(want)
			s, srv := newScripted(t, answer, status(http.StatusCreated))
			sl := &sleeps{}
			client := &http.Client{Transport: &Transport{Routes: objectRoutes, sleep: sl.sleep}}
			ctx, call := WithCall(context.Background())
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+objectsPath, strings.NewReader(`{}`))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != want.Code || s.attempts() != 1 || call.Attempts != 1 {
				t.Fatalf("status %d after %d attempts, want %d after 1", resp.StatusCode, s.attempts(), want.Code)
			}
			if string(body) != want.Body.String() {
				t.Errorf("body %q, want %q", body, want.Body.String())
			}
		})
	}
}
