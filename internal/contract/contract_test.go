package contract

import (
	"encoding/json"
	"testing"
)

var catalogue = []Problem{KeyMissing, KeyInvalid, BodyUnreadable, BodyTooLarge, KeyInUse, KeyReused, StoreUnavailable, StoreFull}

// The middleware sends Body's bytes and the docs show the same members: it
// must be valid JSON carrying exactly the catalogue's fields, in order.
func TestBodyIsTheProblemAsJSON(t *testing.T) {
	names := map[string]bool{}
	for _, p := range catalogue {
		if names[p.Name] {
			t.Errorf("example name %q used twice", p.Name)
		}
		names[p.Name] = true
		var got struct {
			Type, Title, Detail, Code string
			Status                    int
		}
		if err := json.Unmarshal([]byte(p.Body()), &got); err != nil {
			t.Fatalf("%s: body is not JSON: %v\n%s", p.Name, err, p.Body())
		}
		if got.Type != ProblemTypePrefix+p.Code || got.Title != p.Title || got.Detail != p.Detail || got.Code != p.Code || got.Status != p.Status {
			t.Errorf("%s: body %s does not carry the problem's fields", p.Name, p.Body())
		}
		want, _ := json.Marshal(struct {
			Type   string `json:"type"`
			Title  string `json:"title"`
			Status int    `json:"status"`
			Detail string `json:"detail"`
			Code   string `json:"code"`
		}{p.Type(), p.Title, p.Status, p.Detail, p.Code})
		if string(want) != p.Body() {
			t.Errorf("%s: body\n %s\nencoding/json gives\n %s", p.Name, p.Body(), want)
		}
	}
}

func TestEveryKeyErrorHasADetail(t *testing.T) {
	for e := KeyOK; e <= KeyBadString; e++ {
		if e.Detail() == "" || e.Error() != "idempotency: "+e.Detail() {
			t.Errorf("KeyError %d: detail %q, error %q", e, e.Detail(), e.Error())
		}
	}
	if KeyError(200).Detail() != KeyDetails[KeyOK] {
		t.Error("an unknown KeyError should get the generic detail")
	}
}

func TestSafeMethods(t *testing.T) {
	for m, safe := range map[string]bool{"GET": true, "HEAD": true, "OPTIONS": true, "TRACE": true, "QUERY": true,
		"POST": false, "PUT": false, "PATCH": false, "DELETE": false, "get": false} {
		if SafeMethod(m) != safe {
			t.Errorf("SafeMethod(%q) = %v", m, !safe)
		}
	}
}
