package augment

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// Where the author's document keeps something that contradicts or hides
// part of the contract, Augment leaves it as written and says so; on its
// own output it has nothing left to say.
func TestWarnsWhereTheAuthorsDocumentKeepsItsOwn(t *testing.T) {
	const src = `openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /refunds:
    post:
      parameters:
        - {name: IDEMPOTENCY-KEY, in: header, schema: {type: string}}
      responses:
        "201": {description: created}
        "409": {description: refund exceeds the payment}
  /payments:
    post:
      responses:
        "201": {description: created}
        "400": {description: bad payment}
`
	m := mdl("yaml", op("POST", "/refunds", required(2*time.Hour)), op("POST", "/payments"))
	r, err := Augment([]byte(src), m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /payments: declares its own 400 response, which stays; it does not document idempotency_key_invalid",
		"POST /refunds: declares its own 409 response, which stays; it does not document idempotency_key_in_use",
		"POST /refunds: declares its own Idempotency-Key header without required: true, but x-idempotent makes the key required (a request without it gets 400)",
	}
	got := slices.Sorted(slices.Values(r.Warnings))
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Only /payments gets the in-flight 409 and only /refunds the
	// missing-or-invalid-key 400 (its key is required); the author's own
	// stay.
	for section, n := range map[string]int{"IdempotencyKeyInUse": 1, "IdempotencyKeyMissingOrInvalid": 1, "IdempotencyKeyInvalid": 0} {
		if got := strings.Count(string(r.Spec), "$ref: '#/components/responses/"+section+"'"); got != n {
			t.Errorf("%s referenced %d times, want %d:\n%s", section, got, n, r.Spec)
		}
	}
	if !strings.Contains(string(r.Spec), `"409": {description: refund exceeds the payment,`) || !strings.Contains(string(r.Spec), `"400": {description: bad payment,`) {
		t.Errorf("an author's response changed:\n%s", r.Spec)
	}

	again, err := Augment(r.Spec, m)
	if err != nil {
		t.Fatal(err)
	}
	if string(again.Spec) != string(r.Spec) {
		t.Error("a second run changed the output")
	}
	if !slices.Equal(slices.Sorted(slices.Values(again.Warnings)), want) {
		t.Errorf("a second run warned differently: %q", again.Warnings)
	}

	// Our own problem responses, referenced where the author declared
	// none, are not the author's: no warning about them.
	plain := strings.Replace(src, `        "409": {description: refund exceeds the payment}`+"\n", "", 1)
	plain = strings.Replace(plain, `        "400": {description: bad payment}`+"\n", "", 1)
	plain = strings.Replace(plain, "IDEMPOTENCY-KEY, in: header, schema: {type: string}", "IDEMPOTENCY-KEY, in: header, required: true, schema: {type: string}", 1)
	first, err := Augment([]byte(plain), m)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Augment(first.Spec, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Warnings)+len(second.Warnings) != 0 {
		t.Errorf("warnings on a document that hides nothing: %q, then %q", first.Warnings, second.Warnings)
	}
}
