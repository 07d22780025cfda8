package idempotency

import (
	"net/http"
	"testing"
	"time"
)

// Stripe's dialect: the key echoed on the first answer and on replays,
// and Idempotent-Replayed beside Idempotency-Replayed on replays only.
func TestStripeDialect(t *testing.T) {
	h := &countingHandler{}
	mw := New(NewMemoryStore(time.Hour), WithEchoKey(true), WithStripeReplayed(true)).Handler(h)
	first := serve(mw, http.MethodPost, "/p", "k-1", "{}")
	if got := first.Header().Get(HeaderIdempotencyKey); got != "k-1" || first.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("first answer: Idempotency-Key %q, Idempotent-Replayed %q; want k-1 and none", got, first.Header().Get("Idempotent-Replayed"))
	}
	again := serve(mw, http.MethodPost, "/p", `"k-1"`, "{}") // the same key, as an sf-string
	if again.Header().Get("Idempotent-Replayed") != "true" || again.Header().Get(HeaderIdempotencyReplayed) != "true" {
		t.Fatalf("replay: %v, want both replay headers", again.Header())
	}
	if got := again.Header().Values(HeaderIdempotencyKey); len(got) != 1 || got[0] != `"k-1"` {
		t.Fatalf("replay echoes %q, want the retry's own header value", got)
	}
	if h.runs.Load() != 1 {
		t.Fatalf("%d runs", h.runs.Load())
	}
	// Off by default.
	plain := New(NewMemoryStore(time.Hour)).Handler(h)
	serve(plain, http.MethodPost, "/p", "k-2", "{}")
	w := serve(plain, http.MethodPost, "/p", "k-2", "{}")
	if w.Header().Get(HeaderIdempotencyKey) != "" || w.Header().Get("Idempotent-Replayed") != "" {
		t.Fatalf("without the options: %v", w.Header())
	}
}
