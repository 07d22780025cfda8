package idempotency_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/idemgen/idemgen/runtime/idempotency"
)

// The framework adapters tell a recorded run from a pass-through by the
// writer Serve hands next: its recorder, or the caller's writer itself.
func TestServeHandsNextItsRecorderOnlyWhenRecording(t *testing.T) {
	m := idempotency.New(idempotency.NewMemoryStore(0))
	cases := []struct {
		name, method, key string
		recorded          bool
	}{
		{"keyed POST", http.MethodPost, "k1", true},
		{"POST without a key", http.MethodPost, "", false},
		{"unguarded GET", http.MethodGet, "k2", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest(c.method, "/p", strings.NewReader("{}"))
			if c.key != "" {
				r.Header.Set("Idempotency-Key", c.key)
			}
			var got http.ResponseWriter
			m.Serve(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = w }))
			_, isRecorder := got.(*idempotency.ResponseRecorder)
			if isRecorder != c.recorded {
				t.Errorf("next got %T, recorded=%v; want recorded=%v", got, isRecorder, c.recorded)
			}
			if !c.recorded && got != http.ResponseWriter(w) {
				t.Errorf("next got %T, not the caller's writer", got)
			}
		})
	}
}
