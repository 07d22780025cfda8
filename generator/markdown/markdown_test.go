package markdown

import (
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
)

func payments() model.Model {
	return model.Model{Source: "openapi.yaml", Title: "Payments", Operations: []model.Operation{
		{Method: "POST", Path: "/payments", OperationID: "createPayment", Policy: model.DefaultPolicy},
		{Method: "PATCH", Path: "/payments/{id}", Policy: model.Policy{TTL: time.Hour, StoreServerErrors: true, Wait: 2 * time.Second}},
		{Method: "POST", Path: "/payments/{id}/refunds", OperationID: "refund", Policy: model.Policy{
			Required: true, TTL: 48 * time.Hour, MaxRequestBytes: 1 << 20, ScopeHeaders: []string{"Authorization"}}},
	}}
}

func TestRenderListsEveryOperationAndError(t *testing.T) {
	out, err := Render(payments())
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		"# Idempotency: Payments\n",
		"| POST | `/payments` | createPayment | no | 24h |  |\n",
		"| PATCH | `/payments/{id}` | – | no | 1h | 5xx responses stored and replayed; a concurrent retry waits up to 2s |\n",
		"| POST | `/payments/{id}/refunds` | refund | yes | 48h | keys scoped by Authorization; request body ≤ 1 MiB (else 413) |\n",
		"Idempotency-Key: ",
		"sf-string",
		"Idempotency-Replayed: true",
		"Idempotency-Replay: omitted",
		"Applies to `POST /payments/{id}/refunds`.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, p := range []contract.Problem{contract.KeyMissing, contract.KeyInvalid, contract.KeyInUse,
		contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		if !strings.Contains(s, "`"+p.Code+"`") || !strings.Contains(s, `"type": "`+p.Type()+`"`) {
			t.Errorf("page lacks problem %s or its example body", p.Code)
		}
	}
	if strings.Count(s, "```") != 2*(2+7) { // two http blocks, seven json bodies
		t.Errorf("unbalanced or missing code blocks: %d fences", strings.Count(s, "```"))
	}
	if !strings.HasSuffix(s, "again.\n") {
		t.Errorf("page should end with one line break: %q", s[len(s)-20:])
	}
	again, _ := Render(payments())
	if string(again) != s {
		t.Error("Render is not deterministic")
	}
}

func TestRenderOmitsWhatNoPolicyUses(t *testing.T) {
	m := model.Model{Source: "a.json", Operations: []model.Operation{{Method: "POST", Path: "/a|b", Policy: model.DefaultPolicy}}}
	out, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, absent := range []string{contract.KeyMissing.Code, "scoped", "stored and replayed only", "(else 413)"} {
		if strings.Contains(s, absent) {
			t.Errorf("page mentions %q though no operation needs it", absent)
		}
	}
	// The default body cap applies to every operation, so 413 is always
	// listed, with the default limit.
	if !strings.Contains(s, "| 413 | `"+contract.BodyTooLarge.Code+"` |") || !strings.Contains(s, "1 MiB") {
		t.Errorf("page does not list 413 with the default limit:\n%s", s)
	}
	if !strings.Contains(s, "# Idempotency\n") || !strings.Contains(s, "`/a\\|b`") {
		t.Errorf("title or escaped path wrong:\n%s", s)
	}
}

func TestRenderNoOperations(t *testing.T) {
	out, err := Render(model.Model{Source: "x.yaml", Title: "X"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "No operation of this API is marked `x-idempotent`.") {
		t.Errorf("got:\n%s", out)
	}
}
