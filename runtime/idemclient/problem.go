package idemclient

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/idemgen/idemgen/internal/contract"
)

// Codes of the refusals returned as a *ProblemError: the "code" member of
// the idempotency layer's problem+json bodies (its 503,
// idempotency_store_unavailable, is retried and never one of them).
const (
	CodeKeyMissing     = contract.CodeKeyMissing     // 400: the server requires a key the request lacked
	CodeKeyInvalid     = contract.CodeKeyInvalid     // 400: the caller's own key was refused
	CodeBodyUnreadable = contract.CodeBodyUnreadable // 400: the server could not read the body in full
	CodeBodyTooLarge   = contract.CodeBodyTooLarge   // 413: the body is over the operation's limit
	CodeKeyInUse       = contract.CodeKeyInUse       // 409: the first attempt was still running when the retries ran out
	CodeKeyReused      = contract.CodeKeyReused      // 422: the key was used before for a different request
)

// ProblemError is a refusal by the idempotency layer that retrying cannot
// fix: a key the server rejects, a body it will not take, a key already
// used for another request, or a first attempt still running when the
// retries ran out. RoundTrip returns it instead of the response, whose
// body it has closed; http.Client.Do wraps it in a *url.Error, so find it
// with errors.As. Any other answer, the application's own 4xx included,
// is returned as a response.
type ProblemError struct {
	Status                    int
	Type, Code, Title, Detail string
	Key                       string // the key the call was sent with
	Attempts                  int
}

// Error says what was refused. It leaves out the key: errors end up in
// logs, and a key shared between callers replays its response to anyone
// who sends it.
func (e *ProblemError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	return "idemclient: " + strconv.Itoa(e.Status) + " " + e.Code + ": " + msg +
		" (attempts: " + strconv.Itoa(e.Attempts) + ")"
}

// refusals maps each code a ProblemError may carry to the status the
// server sends it with.
var refusals = map[string]int{
	CodeKeyMissing:     contract.KeyMissing.Status,
	CodeKeyInvalid:     contract.KeyInvalid.Status,
	CodeBodyUnreadable: contract.BodyUnreadable.Status,
	CodeBodyTooLarge:   contract.BodyTooLarge.Status,
	CodeKeyInUse:       contract.KeyInUse.Status,
	CodeKeyReused:      contract.KeyReused.Status,
}

// maxProblemBody bounds what is read of a 4xx body to see whether it is
// the idempotency layer's: its bodies are a few hundred bytes.
const maxProblemBody = 8 << 10

// sniffProblem returns the idempotency layer's refusal that resp carries,
// or nil. Whatever it reads of the body is put back, so that a response
// that is not one (the application's own 400, say) reaches the caller
// whole.
func sniffProblem(resp *http.Response) *ProblemError {
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mt != contract.ProblemContentType {
		return nil
	}
	head, readErr := io.ReadAll(io.LimitReader(resp.Body, maxProblemBody+1))
	resp.Body = &rewound{Reader: io.MultiReader(bytes.NewReader(head), resp.Body), Closer: resp.Body}
	if readErr != nil || len(head) > maxProblemBody {
		return nil
	}
	var p struct {
		Type, Title, Detail, Code string
		Status                    int
	}
	if json.Unmarshal(head, &p) != nil {
		return nil
	}
	status, ours := refusals[p.Code]
	// The type must agree when present, so that an application's own
	// problem that happens to use one of these codes is left alone.
	if !ours || status != resp.StatusCode || (p.Type != "" && p.Type != contract.ProblemTypePrefix+p.Code) {
		return nil
	}
	return &ProblemError{Status: resp.StatusCode, Type: p.Type, Code: p.Code, Title: p.Title, Detail: p.Detail}
}

// rewound is a response body with its first bytes put back.
type rewound struct {
	io.Reader
	io.Closer
}
