package idempotency

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestResponseRecorderSeedAPI(t *testing.T) {
	under := httptest.NewRecorder()
	rec := NewResponseRecorder(under)
	rec.Header().Set("Content-Type", "text/plain")
	rec.Header().Add("X-Multi", "1")
	rec.Header().Add("X-Multi", "2")
	rec.Header().Add("Set-Cookie", "s=1")
	rec.WriteHeader(http.StatusAccepted)
	rec.Header().Set("X-Late", "not sent")
	if n, err := rec.Write([]byte("hello ")); n != 6 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	io.WriteString(rec, "world")

	if under.Code != http.StatusAccepted || under.Body.String() != "hello world" {
		t.Fatalf("pass-through: %d %q", under.Code, under.Body)
	}
	before := time.Now()
	cr := rec.ToCachedResponse()
	if cr.StatusCode != http.StatusAccepted || string(cr.Body) != "hello world" {
		t.Fatalf("cached %d %q", cr.StatusCode, cr.Body)
	}
	if cr.Headers["Content-Type"] != "text/plain" || cr.Headers["X-Multi"] != "1, 2" {
		t.Fatalf("headers %v", cr.Headers)
	}
	if _, ok := cr.Headers["Set-Cookie"]; ok {
		t.Fatal("Set-Cookie recorded by default")
	}
	if _, ok := cr.Headers["X-Late"]; ok {
		t.Fatal("a header set after WriteHeader was recorded")
	}
	if cr.CreatedAt.Before(before) || cr.ExpiresAt.Sub(cr.CreatedAt) != DefaultTTL {
		t.Fatalf("times %v %v", cr.CreatedAt, cr.ExpiresAt)
	}
}

func TestResponseRecorderImplicitStatusAndInformational(t *testing.T) {
	under := httptest.NewRecorder()
	rec := NewResponseRecorder(under)
	rec.Header().Set("Link", "</style.css>; rel=preload")
	rec.WriteHeader(http.StatusEarlyHints) // not the final status
	if cr := rec.ToCachedResponse(); cr.StatusCode != http.StatusOK {
		t.Fatalf("no final WriteHeader: status %d, want 200", cr.StatusCode)
	}
}

func TestResponseRecorderFlushAndUnwrap(t *testing.T) {
	under := httptest.NewRecorder()
	rec := NewResponseRecorder(under)
	io.WriteString(rec, "part 1")
	if err := http.NewResponseController(rec).Flush(); err != nil {
		t.Fatalf("Flush through ResponseController: %v", err)
	}
	if !under.Flushed {
		t.Fatal("Flush did not reach the wrapped writer")
	}
	if rec.Unwrap() != under {
		t.Fatal("Unwrap")
	}
	cr := rec.ToCachedResponse()
	if cr.Body != nil {
		t.Fatalf("flushed body recorded: %q", cr.Body)
	}
}

func TestResponseRecorderCap(t *testing.T) {
	under := httptest.NewRecorder()
	rec := NewResponseRecorder(under)
	big := strings.Repeat("z", DefaultMaxResponseBody+1)
	io.WriteString(rec, big)
	if under.Body.Len() != len(big) {
		t.Fatal("the full body must be sent")
	}
	if cr := rec.ToCachedResponse(); cr.Body != nil {
		t.Fatalf("over-cap body recorded: %d bytes", len(cr.Body))
	}
}
