package augment

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idemgen/idemgen/generator/model"
)

const statusesYAML = `openapi: 3.0.3
info: {title: S, version: "1"}
paths:
  /jobs:
    post:
      responses:
        1XX: {description: informational}
        "201": {description: created}
        4XX: {description: client error}
        "500": {description: server error}
        5XX: {description: other server error}
        default: {description: anything else}
`

// The replay headers stand on the responses the runtime stores: 2xx,
// 4xx and default (which can be a 4xx), never 1xx; 5xx only with
// storeServerErrors.
func TestReplayHeadersOnlyOnReplayableResponses(t *testing.T) {
	for _, storeErrors := range []bool{false, true} {
		p := model.DefaultPolicy
		p.StoreServerErrors = storeErrors
		out := mustAugment(t, statusesYAML, mdl("yaml", op("POST", "/jobs", p)))
		for status, want := range map[string]bool{"1XX": false, `"201"`: true, "4XX": true, `"500"`: storeErrors, "5XX": storeErrors, "default": true} {
			line := lineOf(out, "        "+status+":")
			got := strings.Contains(line, "IdempotencyReplayed") && strings.Contains(line, "IdempotencyReplay'")
			if got != want {
				t.Errorf("storeServerErrors %v: %s documents the replay headers: %v, want %v: %s", storeErrors, status, got, want, line)
			}
		}
	}
}

func lineOf(s, prefix string) string {
	for l := range strings.Lines(s) {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

const sharedServerErrorYAML = `openapi: 3.0.3
info: {title: S, version: "1"}
paths:
  /jobs:
    post:
      responses:
        "200": {$ref: "#/components/responses/Answer"}
        "502": {$ref: "#/components/responses/Answer"}
        "504": {$ref: "#/components/responses/Down"}
components:
  responses:
    Answer: {description: an answer}
    Down: {description: down}
`

// A shared response that a marked operation also uses as a 5xx must not
// claim a replay; one used only as a 5xx is left alone without a warning.
func TestSharedResponseUsedAsServerError(t *testing.T) {
	m := mdl("yaml", op("POST", "/jobs"))
	r, err := Augment([]byte(sharedServerErrorYAML), m)
	if err != nil {
		t.Fatal(err)
	}
	out := mustAugment(t, sharedServerErrorYAML, m)
	want := []string{"components.responses.Answer is also used for a status the runtime never replays (1xx, or 5xx without storeServerErrors); Idempotency-Replayed is not documented on it"}
	if !slices.Equal(r.Warnings, want) {
		t.Errorf("warnings %q, want %q", r.Warnings, want)
	}
	if strings.Contains(out, "headers/IdempotencyReplayed") {
		t.Errorf("a replay header was documented:\n%s", out)
	}
	// With storeServerErrors every use can be replayed.
	p := model.DefaultPolicy
	p.StoreServerErrors = true
	out = mustAugment(t, sharedServerErrorYAML, mdl("yaml", op("POST", "/jobs", p)))
	if !strings.Contains(out, "    Answer: {description: an answer, headers: {Idempotency-Replayed: ") ||
		!strings.Contains(out, "    Down: {description: down, headers: {Idempotency-Replayed: ") {
		t.Errorf("storeServerErrors: the shared responses lack the replay header:\n%s", out)
	}
}

const threeOpsYAML = `openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /a:
    post:
      responses:
        "201": {description: created}
  /b:
    post:
      responses:
        "201": {description: created}
  /c:
    post:
      responses:
        "201": {description: created}
`

// Each operation gets the 400 and 413 that are true for it, and
// operations that agree share them.
func TestProblemResponsesFollowThePolicy(t *testing.T) {
	small := model.Policy{Required: true, TTL: time.Hour, MaxRequestBytes: 64 << 10, Wait: 2 * time.Second, ScopeHeaders: []string{"Authorization"}}
	out := mustAugment(t, threeOpsYAML, mdl("yaml", op("POST", "/a"), op("POST", "/b", small), op("POST", "/c")))
	for _, want := range []string{
		"  /a:\n    post:\n      responses:\n        \"201\": {description: created, headers: {Idempotency-Replayed: {$ref: '#/components/headers/IdempotencyReplayed'}, Idempotency-Replay: {$ref: '#/components/headers/IdempotencyReplay'}}}\n" +
			"        '400':\n          $ref: '#/components/responses/IdempotencyKeyInvalid'\n",
		"        '400':\n          $ref: '#/components/responses/IdempotencyKeyMissingOrInvalid'\n",
		"        '413':\n          $ref: '#/components/responses/IdempotencyRequestTooLarge64KiB'\n",
		"      parameters:\n        - $ref: '#/components/parameters/IdempotencyKeyRequiredTTL1hWait2sScoped'\n",
		"limit of 64 KiB (65536 bytes), so it was not processed.",
		"limit of 1 MiB (1048576 bytes), the default, so it was not processed.",
		"waits up to 2s for its result before getting 409. Keys are scoped by the request headers Authorization: callers that differ in them never share a key.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for ref, n := range map[string]int{"IdempotencyKeyInvalid": 2, "IdempotencyKeyMissingOrInvalid": 1, "IdempotencyRequestTooLarge": 2, "IdempotencyRequestTooLarge64KiB": 1} {
		if got := strings.Count(out, "$ref: '#/components/responses/"+ref+"'\n"); got != n {
			t.Errorf("%s referenced %d times, want %d", ref, got, n)
		}
	}
	// key_missing is an example of the required operation's 400 only.
	if n := strings.Count(out, "key_missing:"); n != 1 {
		t.Errorf("key_missing appears %d times, want 1:\n%s", n, out)
	}
}
