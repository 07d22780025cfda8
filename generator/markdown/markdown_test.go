package markdown

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/internal/testcases"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

func payments() model.Model {
	return model.Model{Source: "openapi.yaml", Title: "Payments", Operations: []model.Operation{
		{Method: "POST", Path: "/payments", OperationID: "createPayment", Policy: model.DefaultPolicy},
		{Method: "PATCH", Path: "/payments/{id}", Policy: model.Policy{TTL: time.Hour, StoreServerErrors: true, Wait: 2 * time.Second}},
		{Method: "POST", Path: "/payments/{id}/refunds", OperationID: "refund", Policy: model.Policy{
			Required: true, TTL: 48 * time.Hour, MaxRequestBytes: 64 << 10, MaxResponseBytes: 2 << 20, ScopeHeaders: []string{"Authorization", "X-Tenant"}}},
		// Key required and TTL are the table's: this is policy 1 too.
		{Method: "POST", Path: "/receipts", Policy: model.Policy{Required: true, TTL: time.Hour}},
	}}
}

func render(t *testing.T, m model.Model, spec string) string {
	t.Helper()
	out, err := RenderSpec(m, []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// section returns the text from the heading line head to the next heading
// of the same or a higher level.
func section(t *testing.T, s, head string) string {
	t.Helper()
	i := strings.Index(s, "\n"+head+"\n")
	if i < 0 {
		t.Fatalf("page has no %q:\n%s", head, s)
	}
	rest := s[i+1+len(head):]
	level := strings.Count(strings.Fields(head)[0], "#")
	re := regexp.MustCompile(`\n#{1,` + string(rune('0'+level)) + `} `)
	if j := re.FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	return rest
}

// flat joins a section's wrapped lines so that sentences can be matched
// whole.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestRenderTable(t *testing.T) {
	s := render(t, payments(), "")
	for _, want := range []string{
		"# Idempotency: Payments\n",
		"| Method | Path | Key required | TTL | Notes |\n",
		"| POST | `/payments` | no | 24h | P1 |\n",
		"| PATCH | `/payments/{id}` | no | 1h | P2 |\n",
		"| POST | `/payments/{id}/refunds` | yes | 48h | P3; body ≤ 64 KiB |\n",
		// The same policy is told once.
		"| POST | `/receipts` | yes | 1h | P1 |\n",
		"Idempotency-Key: ",
		"sf-string",
		"Idempotency-Replayed: true",
		contract.KeyMissing.When + " Applies to the operations whose *Key required* is yes.",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(s, "### Policy 4") || !strings.Contains(section(t, s, "### Policy 1"), "2 operations") {
		t.Errorf("operations with one policy are not grouped:\n%s", section(t, s, "## Policies"))
	}
	for _, p := range []contract.Problem{contract.KeyMissing, contract.KeyInvalid, contract.KeyInUse,
		contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		if !strings.Contains(s, "`"+p.Code+"`") || !strings.Contains(s, `"type": "`+p.Type()+`"`) || !strings.Contains(s, p.When) {
			t.Errorf("page lacks problem %s, its text or its example body", p.Code)
		}
	}
	if strings.Count(s, "```") != 2*(2+7) { // two http blocks, seven json bodies
		t.Errorf("unbalanced or missing code blocks: %d fences", strings.Count(s, "```"))
	}
	if !strings.HasSuffix(s, "run again.\n") || strings.HasSuffix(s, "\n\n") {
		t.Errorf("page should end with one line break: %q", s[len(s)-20:])
	}
	if again := render(t, payments(), ""); again != s {
		t.Error("Render is not deterministic")
	}
}

// Each policy's section states what the runtime does for that policy, and
// nothing that belongs to another.
func TestRenderPolicies(t *testing.T) {
	s := render(t, payments(), "")
	cases := []struct {
		head          string
		want, without []string
	}{
		{"### Policy 1", []string{
			"2 operations (*P1* in the table), with the key requirement and TTL its row gives:",
			"Keys are shared by every caller, unless the server scopes them by caller (`WithScope`): a caller who reuses another caller's key gets that caller's stored response.",
			"A request body over 1 MiB gets `413 request_body_too_large`",
			"A response body over 1 MiB is sent in full but stored without it",
			"`Idempotency-Replay: omitted`",
			"A 5xx answer is not stored: the key is released, and a retry with it runs the operation again.",
			"gets `409 idempotency_key_in_use` at once, with `Retry-After`.",
		}, []string{"scoped by", "waits up to", "stored and replayed like any other"}},
		{"### Policy 2", []string{
			"One operation (*P2* in the table)",
			"A 5xx answer is stored and replayed like any other",
			"waits up to 2s for its result, and gets `409 idempotency_key_in_use` only if the first does not complete in time.",
			"Keys are shared by every caller",
		}, []string{"is not stored", "at once"}},
		{"### Policy 3", []string{
			"Keys are scoped by the values of these request headers: `Authorization`, `X-Tenant`. The same key sent with other values, or without them, is another caller's key and never sees this caller's result; requests that send the same values (or none) share keys.",
			"A request body over 64 KiB gets `413 request_body_too_large`",
			"A response body over 2 MiB is sent in full",
			"A 5xx answer is not stored",
		}, []string{"shared by every caller", "1 MiB"}},
	}
	for _, c := range cases {
		sec := flat(section(t, s, c.head))
		for _, w := range c.want {
			if !strings.Contains(sec, w) {
				t.Errorf("%s lacks %q:\n%s", c.head, w, sec)
			}
		}
		for _, w := range c.without {
			if strings.Contains(sec, w) {
				t.Errorf("%s says %q, which is another policy's:\n%s", c.head, w, sec)
			}
		}
	}
}

// What holds for every operation: keys per operation, the exact request
// comparison of runtime/idempotency/fingerprint.go, sharing between
// callers, and what a replay carries.
func TestRenderMatchingAndReplays(t *testing.T) {
	s := render(t, payments(), "")
	match := flat(section(t, s, "## How a key is matched"))
	for _, w := range []string{
		"Keys are per operation.** The same key sent to another operation is a different key",
		"method, path, query and body are the same, byte for byte",
		"the path as sent (its percent-encoding included), the raw query string (parameter order and encoding count) and the body's exact bytes",
		"Headers are not compared.",
		"**Without a scope, one caller who sends a key another caller already used on the operation gets the other caller's stored response**",
		"`WithScope`",
	} {
		if !strings.Contains(match, w) {
			t.Errorf("key matching lacks %q:\n%s", w, match)
		}
	}
	replays := flat(section(t, s, "## Replays"))
	for _, w := range []string{
		"the same status, headers and body",
		"except hop-by-hop headers (`Connection` and those it names, `Keep-Alive`, `Proxy-Connection`, `Proxy-Authenticate`, `Proxy-Authorization`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`), trailers and `Date`.",
		"`Set-Cookie` is not replayed by default",
		"Every answer of the operation from 200 to 499 is stored: a 4xx is replayed like a 2xx",
		"A 5xx answer is stored or not as the operation's policy says.",
		"an empty body, and `Idempotency-Replay: omitted`",
	} {
		if !strings.Contains(replays, w) {
			t.Errorf("replays lack %q:\n%s", w, replays)
		}
	}
}

const ownSpec = `
openapi: 3.0.3
info: {title: Own, version: "1"}
paths:
  /plain:
    post:
      responses: {"201": {description: Created}, default: {$ref: "#/components/responses/Error"}}
  /conflict:
    post:
      responses:
        "201": {description: Created}
        "409": {description: The author's own conflict.}
        "422": {$ref: "#/components/responses/Error"}
  /augmented:
    post:
      responses:
        "409": {$ref: "#/components/responses/IdempotencyKeyInUse"}
        "400": {$ref: "#/components/responses/Missing~1Thing"}
  /header:
    patch:
      responses: {"200": {description: OK}}
components:
  responses:
    Error: {description: An error.}
    Missing/Thing: {description: Not idemgen's.}
    IdempotencyKeyInUse:
      description: In use.
      content:
        application/problem+json:
          example: {type: "urn:idemgen:problem:idempotency_key_in_use"}
`

// The note on own declarations appears for exactly the operations whose
// own response (inline or a $ref, not one documenting idemgen's problems)
// or own Idempotency-Key header takes the contract's place.
func TestRenderOwnDeclarations(t *testing.T) {
	m := model.Model{Source: "own.yaml", Operations: []model.Operation{
		{Method: "POST", Path: "/augmented", Policy: model.Policy{Required: true, TTL: time.Hour}},
		{Method: "POST", Path: "/conflict", Policy: model.DefaultPolicy},
		{Method: "PATCH", Path: "/header", Policy: model.Policy{Required: true, TTL: time.Hour}, DeclaresKeyHeader: true},
		{Method: "POST", Path: "/plain", Policy: model.DefaultPolicy},
	}}
	s := render(t, m, ownSpec)
	for _, want := range []string{
		"| POST | `/augmented` | yes | 1h | own 400 |\n",
		"| POST | `/conflict` | no | 24h | own 409, 422 |\n",
		"| PATCH | `/header` | yes | 1h | own key |\n",
		"| POST | `/plain` | no | 24h |  |\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks row %q", want)
		}
	}
	own := flat(section(t, s, "## Own declarations"))
	for _, want := range []string{
		"- `POST /augmented`: own `400` (`idempotency_key_missing` or `idempotency_key_invalid`) - ",
		"- `POST /conflict`: own `409` (`idempotency_key_in_use`), own `422` (`idempotency_key_reused`) - ",
		"- `PATCH /header`: own key header",
		"An own key header keeps the author's description and `required`: the table's *Key required* is what the server enforces.",
	} {
		if !strings.Contains(own, want) {
			t.Errorf("own declarations lack %q:\n%s", want, own)
		}
	}
	if strings.Contains(own, "/plain") || strings.Count(own, "- `") != 3 {
		t.Errorf("own declarations list other operations:\n%s", own)
	}
	// Without the document only the model's key header is known.
	if s := render(t, m, ""); strings.Contains(s, "own 409, 422") || !strings.Contains(s, "| own key |") || !strings.Contains(s, "| `/plain` | no | 24h |  |\n") {
		t.Errorf("Render without the document:\n%s", section(t, s, "## Own declarations"))
	}
	if _, err := RenderSpec(m, []byte("{")); err == nil {
		t.Error("RenderSpec accepted a document it cannot read")
	}
}

func TestRenderOmitsWhatNoPolicyUses(t *testing.T) {
	m := model.Model{Source: "a.json", Operations: []model.Operation{{Method: "POST", Path: "/a|b", Policy: model.DefaultPolicy}}}
	s := render(t, m, "")
	for _, absent := range []string{contract.KeyMissing.Code, "scoped by the values", "P1", "## Own declarations", "own "} {
		if strings.Contains(s, absent) {
			t.Errorf("page mentions %q though no operation needs it", absent)
		}
	}
	// The default body cap applies to every operation, so 413 is always
	// listed, with the default limit.
	if !strings.Contains(s, "| 413 | `"+contract.BodyTooLarge.Code+"` |") || !strings.Contains(s, "over 1 MiB gets `413") {
		t.Errorf("page does not list 413 with the default limit:\n%s", s)
	}
	if !strings.Contains(s, "# Idempotency\n") || !strings.Contains(s, "| POST | `/a\\|b` | no | 24h |\n") || strings.Contains(s, "| Notes |") {
		t.Errorf("title or escaped path wrong:\n%s", s)
	}
}

// The page repeats the runtime's defaults rather than importing the
// runtime; they must not drift.
func TestDefaultsAreTheRuntime(t *testing.T) {
	for name, v := range map[string]int64{
		"DefaultMaxRequestBody":  idempotency.DefaultMaxRequestBody,
		"DefaultMaxResponseBody": idempotency.DefaultMaxResponseBody,
	} {
		if v != defaultBodyBytes {
			t.Errorf("defaultBodyBytes is %d; the runtime's %s is %d", defaultBodyBytes, name, v)
		}
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

// maxRow is the widest table row, in characters, that reads at GitHub's
// width without a scroll bar in the common case.
const maxRow = 120

// Every table row of the page for every corpus document, with its POST
// and PATCH operations marked, stays within maxRow: hundreds of operations
// must stay readable.
func TestCorpusPagesAreNarrow(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "specs")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) && os.Getenv("CI") == "true" {
		t.Fatalf("no corpus at %s; CI must provide it", dir)
	}
	for _, c := range testcases.Corpus(t) {
		t.Run(c.Name, func(t *testing.T) {
			r, err := load.Load(context.Background(), c.Spec, load.Options{MarkMethods: []string{"POST", "PATCH"}})
			if err != nil {
				t.Skipf("does not load: %v", err)
			}
			out, err := RenderSpec(r.Model, r.Root)
			if err != nil {
				t.Fatal(err)
			}
			checkWidth(t, string(out))
		})
	}
}

func checkWidth(t *testing.T, page string) {
	t.Helper()
	for _, row := range wideRows(page) {
		t.Errorf("a table row of %d characters: %s", utf8.RuneCountInString(row), row)
	}
}

// wideRows returns the table rows of page longer than maxRow.
func wideRows(page string) []string {
	var wide []string
	for _, line := range strings.Split(page, "\n") {
		if strings.HasPrefix(line, "|") && utf8.RuneCountInString(line) > maxRow {
			wide = append(wide, line)
		}
	}
	return wide
}

func TestWideRowsFindsOnlyWideRows(t *testing.T) {
	page := "prose " + strings.Repeat("x", maxRow) + "\n| POST | `/a` | no | 24h |  |\n| " + strings.Repeat("é", maxRow) + " |\n"
	if got := wideRows(page); len(got) != 1 || !strings.HasPrefix(got[0], "| é") {
		t.Errorf("wideRows = %q", got)
	}
}
