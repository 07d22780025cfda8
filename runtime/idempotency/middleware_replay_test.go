package idempotency

import (
	"io"
	"net/http"
	"slices"
	"strings"
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

// Records of one operation share a cached header map; a record whose body
// was omitted must drop Content-Length without touching the shared map.
func TestSharedHeaderSnapshots(t *testing.T) {
	body := strings.Repeat("y", 20)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", "20")
		if r.URL.Query().Get("loc") != "" {
			w.Header().Set("Location", r.URL.Query().Get("loc"))
		}
		io.WriteString(w, body)
		if r.URL.Query().Get("flush") != "" {
			http.NewResponseController(w).Flush()
		}
	})
	mw := NewMiddleware(NewMemoryStore(time.Minute)).Handler(h)
	serve(mw, http.MethodPost, "/p?flush=1", "k1", "")
	serve(mw, http.MethodPost, "/p", "k2", "")
	serve(mw, http.MethodPost, "/p?loc=/x/3", "k3", "")
	serve(mw, http.MethodPost, "/p?loc=/x/4", "k4", "")

	r1 := serve(mw, http.MethodPost, "/p?flush=1", "k1", "")
	if r1.Header().Get("Content-Length") != "" || r1.Body.Len() != 0 || r1.Header().Get("Idempotency-Replay") != "omitted" {
		t.Fatalf("k1 replay: %v %q", r1.Header(), r1.Body)
	}
	r2 := serve(mw, http.MethodPost, "/p", "k2", "")
	if r2.Header().Get("Content-Length") != "20" || r2.Body.String() != body {
		t.Fatalf("k2 replay lost Content-Length or body: %v %q", r2.Header(), r2.Body)
	}
	for k, loc := range map[string]string{"k3": "/x/3", "k4": "/x/4"} {
		r := serve(mw, http.MethodPost, "/p?loc="+loc, k, "")
		if r.Header().Get("Location") != loc {
			t.Fatalf("%s replay Location %q, want %q", k, r.Header().Get("Location"), loc)
		}
	}
}
