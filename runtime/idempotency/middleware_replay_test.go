package idempotency

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// headerHandler sends a response rich in headers.
var headerHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Add("Link", "</a>; rel=a")
	h.Add("Link", "</b>; rel=b")
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Encoding")
	h.Add("Set-Cookie", "session=secret; HttpOnly")
	h.Add("Set-Cookie", "theme=dark")
	h.Set("Date", "Mon, 02 Jan 2006 15:04:05 GMT")
	h.Set("Connection", "X-Hop")
	h.Set("X-Hop", "per-connection")
	h.Set("Keep-Alive", "timeout=5")
	h.Set("Transfer-Encoding", "chunked")
	h.Set("Upgrade", "h2c")
	h.Set("Location", "/payments/1")
	w.WriteHeader(http.StatusCreated)
	h.Set("X-After-Write", "ignored by net/http, so not recorded")
	w.Write([]byte(`{"id":1}`))
})

func TestReplayHeaderFidelity(t *testing.T) {
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(headerHandler)
	serve(mw, http.MethodPost, "/p", "k", "{}")
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	h := w.Header()
	if w.Code != http.StatusCreated || w.Body.String() != `{"id":1}` {
		t.Fatalf("replay %d %q", w.Code, w.Body)
	}
	if got := h.Values("Link"); !slices.Equal(got, []string{"</a>; rel=a", "</b>; rel=b"}) {
		t.Errorf("Link = %q", got)
	}
	if got := h.Values("Vary"); !slices.Equal(got, []string{"Accept", "Accept-Encoding"}) {
		t.Errorf("Vary = %q", got)
	}
	if h.Get("Location") != "/payments/1" || h.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", h)
	}
	for _, gone := range []string{"Set-Cookie", "Date", "Connection", "X-Hop", "Keep-Alive", "Transfer-Encoding", "Upgrade", "X-After-Write"} {
		if v := h.Values(gone); len(v) > 0 {
			t.Errorf("%s replayed: %q", gone, v)
		}
	}
}

func TestReplayCookiesWhenConfigured(t *testing.T) {
	mw := NewMiddleware(NewMemoryStore(time.Minute), WithReplayCookies(true)).Handler(headerHandler)
	serve(mw, http.MethodPost, "/p", "k", "{}")
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	if got := w.Header().Values("Set-Cookie"); !slices.Equal(got, []string{"session=secret; HttpOnly", "theme=dark"}) {
		t.Fatalf("Set-Cookie = %q", got)
	}
}

func TestReplayedRecordIsNotMutatedByTheWriter(t *testing.T) {
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(headerHandler)
	serve(mw, http.MethodPost, "/p", "k", "{}")
	w := serve(mw, http.MethodPost, "/p", "k", "{}")
	w.Header()["Link"] = append(w.Header()["Link"], "</c>; rel=c") // an outer middleware appending
	again := serve(mw, http.MethodPost, "/p", "k", "{}")
	if got := again.Header().Values("Link"); len(got) != 2 {
		t.Fatalf("stored record changed through a replay's header map: %q", got)
	}
}
