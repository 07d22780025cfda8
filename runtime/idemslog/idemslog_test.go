package idemslog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/runtime/idempotency"
	"github.com/idemgen/idemgen/runtime/idemslog"
)

// record is one JSON line, less its time.
type record struct {
	Level     string  `json:"level"`
	Msg       string  `json:"msg"`
	Operation string  `json:"operation"`
	Outcome   string  `json:"outcome"`
	Status    int     `json:"status"`
	Elapsed   float64 `json:"elapsed"`
	Error     string  `json:"error"`
	Key       *string `json:"key"`
}

func records(t *testing.T, buf *bytes.Buffer) []record {
	t.Helper()
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		out = append(out, r)
	}
	return out
}

func send(h http.Handler, path, key, body string, fail bool) int {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	if key != "" {
		r.Header.Set(idempotency.HeaderIdempotencyKey, key)
	}
	if fail {
		r.Header.Set("X-Fail", "1")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

var handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	if r.Header.Get("X-Fail") != "" {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	w.WriteHeader(http.StatusCreated)
})

// TestScriptedRecords sends a first request, its replay, a mismatch, a
// missing key and a 5xx through a real middleware at level Debug, and
// checks each record: level, message, attributes, and neither key nor path.
func TestScriptedRecords(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := idempotency.New(idempotency.NewMemoryStore(time.Hour),
		idempotency.WithOperation("createPayment"), idempotency.WithKeyRequired(true),
		idempotency.WithObserver(idemslog.New(l))).Handler(handler)
	send(h, "/payments/pay_42", "secret-key-1", `{"a":1}`, false)
	send(h, "/payments/pay_42", "secret-key-1", `{"a":1}`, false)
	send(h, "/payments/pay_42", "secret-key-1", `{"a":2}`, false)
	send(h, "/payments/pay_42", "", `{"a":1}`, false)
	send(h, "/payments/pay_42", "secret-key-2", `{"a":1}`, true)

	want := []record{
		{Level: "DEBUG", Msg: "idempotency: acquired", Outcome: "acquired"},
		{Level: "INFO", Msg: "idempotency: completed", Outcome: "completed", Status: 201},
		{Level: "INFO", Msg: "idempotency: replayed", Outcome: "replayed", Status: 201},
		{Level: "WARN", Msg: "idempotency: mismatch", Outcome: "mismatch", Status: 422},
		{Level: "INFO", Msg: "idempotency: key_missing", Outcome: "key_missing", Status: 400},
		{Level: "DEBUG", Msg: "idempotency: acquired", Outcome: "acquired"},
		{Level: "WARN", Msg: "idempotency: not_stored", Outcome: "not_stored", Status: 502},
	}
	got := records(t, &buf)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i, r := range got {
		if r.Elapsed <= 0 {
			t.Errorf("record %d: elapsed %v", i, r.Elapsed)
		}
		r.Elapsed = 0
		w := want[i]
		w.Operation = "createPayment"
		if r.Key != nil || r != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, r, w)
		}
	}
	for _, secret := range []string{"secret-key", "pay_42", "/payments"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the records show %q:\n%s", secret, buf.String())
		}
	}
}

// TestErrorsAndLevels covers the error outcomes, the raised levels, the
// error attribute, WithKey and WithLevel, with events fed directly (a real
// store only fails on purpose).
func TestErrorsAndLevels(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(slog.NewJSONHandler(&buf, nil)) // Info and above
	obs := idemslog.New(l, idemslog.WithKey(true), idemslog.WithLevel(idempotency.OutcomeConflict, slog.LevelWarn))
	ctx := context.Background()
	for _, ev := range []idempotency.Event{
		{Outcome: idempotency.OutcomeAcquired, Operation: "op", Key: "k1", Context: ctx}, // Debug: dropped
		{Outcome: idempotency.OutcomeRenewed, Operation: "op", Key: "k1", Context: ctx},  // Debug: dropped
		{Outcome: idempotency.OutcomeStoreError, Operation: "op", Key: "k1", Status: 503, Err: errors.New("dial tcp: refused"), Context: ctx},
		{Outcome: idempotency.OutcomeOwnershipLost, Operation: "op", Key: "k1", Err: idempotency.ErrNotOwner, Context: ctx},
		{Outcome: idempotency.OutcomeConflict, Operation: "op", Key: "k1", Status: 409, Context: ctx},
		{Outcome: idempotency.OutcomeNotStored, Operation: "op", Key: "k1", Status: 500, Err: errors.New("abandon: timeout"), Context: ctx},
		{Outcome: idempotency.OutcomeCompleted, Operation: "op", Key: "k1", Status: 201, Err: idempotency.ErrRecordTooLarge, Context: ctx},
		{Outcome: idempotency.OutcomeEvicted, Key: "store-key", Status: 201}, // no context, no operation
		{Outcome: idempotency.Outcome(250), Operation: "op"},                 // unknown: ignored
	} {
		obs(ev)
	}
	k1, sk := "k1", "store-key"
	want := []record{
		{Level: "ERROR", Msg: "idempotency: store_error", Operation: "op", Outcome: "store_error", Status: 503, Error: "dial tcp: refused", Key: &k1},
		{Level: "ERROR", Msg: "idempotency: ownership_lost", Operation: "op", Outcome: "ownership_lost", Error: idempotency.ErrNotOwner.Error(), Key: &k1},
		{Level: "WARN", Msg: "idempotency: conflict", Operation: "op", Outcome: "conflict", Status: 409, Key: &k1},
		{Level: "ERROR", Msg: "idempotency: not_stored", Operation: "op", Outcome: "not_stored", Status: 500, Error: "abandon: timeout", Key: &k1},
		{Level: "WARN", Msg: "idempotency: completed", Operation: "op", Outcome: "completed", Status: 201, Error: idempotency.ErrRecordTooLarge.Error(), Key: &k1},
		{Level: "WARN", Msg: "idempotency: evicted", Outcome: "evicted", Status: 201, Key: &sk},
	}
	got := records(t, &buf)
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Key == nil || *g.Key != *w.Key {
			t.Errorf("record %d: key %v, want %s", i, g.Key, *w.Key)
		}
		g.Key, w.Key = nil, nil
		if g != w {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
}

// TestEveryOutcomeHasALevel fails when the runtime gains an outcome this
// package does not size its level table for.
func TestEveryOutcomeHasALevel(t *testing.T) {
	last := idempotency.OutcomeRenewed
	if s := (last + 1).String(); s != "unknown" {
		t.Fatalf("outcome %d (%s) is new: give it a level in idemslog.go and move numOutcomes", last+1, s)
	}
	var buf bytes.Buffer
	obs := idemslog.New(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for o := idempotency.Outcome(1); o <= last; o++ {
		obs(idempotency.Event{Outcome: o})
	}
	if n := len(records(t, &buf)); n != int(last) {
		t.Fatalf("%d records for %d outcomes", n, last)
	}
}

// countingHandler counts the records that reach it.
type countingHandler struct {
	slog.Handler
	n int
}

func (c *countingHandler) Handle(ctx context.Context, r slog.Record) error { c.n++; return nil }

// TestDisabledLevelsCostNothing: a logger at Info skips the debug steps
// before building a record, without allocating.
func TestDisabledLevelsCostNothing(t *testing.T) {
	ch := &countingHandler{Handler: slog.NewJSONHandler(io.Discard, nil)}
	obs := idemslog.New(slog.New(ch))
	ev := idempotency.Event{Outcome: idempotency.OutcomeAcquired, Operation: "op", Context: context.Background()}
	if a := testing.AllocsPerRun(1000, func() { obs(ev) }); a != 0 {
		t.Fatalf("%v allocs for a disabled record", a)
	}
	if ch.n != 0 {
		t.Fatalf("%d debug records reached an Info handler", ch.n)
	}
}
