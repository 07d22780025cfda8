package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRemoteRefs serves a schema over HTTP: refused by default, with the
// $ref's position, and followed with AllowRemoteRefs.
func TestRemoteRefs(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte("Payment:\n  type: object\n  properties:\n    amount: {type: integer}\n"))
	}))
	defer srv.Close()
	p := write(t, "spec.yaml", head+`  /payments:
    post:
      x-idempotent: true
      requestBody:
        content:
          application/json:
            schema: {$ref: "`+srv.URL+`/schemas.yaml#/Payment"}
      responses: {"200": {description: ok}}
`)
	got := loadErr(t, p, Options{})
	if want := `spec.yaml:10:28: $ref "` + srv.URL + `/schemas.yaml#/Payment": remote references are refused`; !strings.HasPrefix(got, want) {
		t.Errorf("got  %s\nwant %s…", got, want)
	}
	if hits != 0 {
		t.Errorf("the refused URL was fetched %d times", hits)
	}
	r, err := Load(context.Background(), p, Options{AllowRemoteRefs: true})
	if err != nil {
		t.Fatal(err)
	}
	if hits == 0 || len(r.Model.Operations) != 1 {
		t.Errorf("hits %d, operations %+v", hits, r.Model.Operations)
	}
}
