// Package markdown renders IDEMPOTENCY.md, the idempotency contract of a
// specification for people: which operations take an Idempotency-Key,
// what a client sends, how a key is matched and with whom it is shared,
// every error it can get, how replays look, and where the document's own
// declarations say something else than the server does.
//
//	page, err := markdown.RenderSpec(m, r.Root) // r is the load.Result
//
// The page is laid out for hundreds of operations: one narrow table
// (method, path, key required, TTL, short notes), then each distinct
// policy once, in full sentences, and the operations whose own responses
// hide part of the contract in a list. The problem codes, titles and
// example bodies are those of the runtime middleware (internal/contract);
// the output depends only on its inputs, so it is byte-for-byte stable.
package markdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/templates"
)

var page = template.Must(template.New("markdown.md.tmpl").Funcs(template.FuncMap{"cell": cell}).ParseFS(templates.FS, "markdown.md.tmpl"))

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// defaultBodyBytes is the runtime's default cap on the request body it
// buffers and on the response body it stores (idempotency.DefaultMaxRequestBody
// and DefaultMaxResponseBody; a test keeps them equal). The generator does
// not import the runtime, so the number is repeated here.
const defaultBodyBytes = 1 << 20

// Render returns the Markdown page for m alone. It knows which operations
// declare their own Idempotency-Key header (the model says so) but not
// their own responses; RenderSpec knows both.
func Render(m model.Model) ([]byte, error) { return RenderSpec(m, nil) }

// RenderSpec returns the Markdown page for m, whose root document's bytes
// as loaded (load.Result.Root, after any overlay) are spec: from it the
// page learns which operations declare their own 400, 409, 413, 422 or 503
// response, which hides the contract's there. A nil spec learns nothing.
func RenderSpec(m model.Model, spec []byte) ([]byte, error) {
	own, err := ownResponses(spec, m)
	if err != nil {
		return nil, fmt.Errorf("markdown: %w", err)
	}
	var b bytes.Buffer
	if err := page.Execute(&b, newData(m, own)); err != nil {
		return nil, fmt.Errorf("markdown: %w", err)
	}
	return b.Bytes(), nil
}

type data struct {
	Title, Version, Source string
	Ops                    []row
	Policies               []policy
	AnyNotes               bool
	Hidden                 []hidden
	AnyRequired            bool
	AllRequired            bool
	// AnyBodyKey: some operations take the key from the body, AllBodyKey:
	// every one does, so none reads the header.
	AnyBodyKey, AllBodyKey bool
	MaxKeyLength           int
	RetryAfter             int
	Problems               []problem
	Header, Replayed       string
	ReplayHeader, Omitted  string
	DefaultBody            string
}

type row struct {
	Method, Path, Required, TTL, Notes string
}

// policy is what a policy says beyond the table's key required and TTL,
// told once for all the operations that share it.
type policy struct {
	N   int // 1-based, its heading is "Policy N"
	Ops int // how many operations have it
	policyKey
}

// policyKey is what tells policies apart on the page.
type policyKey struct {
	Scope                   string // the scope headers, as code spans; "" if none
	StoreServerErrors       bool
	MaxRequest, MaxResponse string
	Wait                    string // "" for none
	Transaction             bool
	EchoKey, StripeReplayed bool
	Fingerprint             string // fingerprint rule, as the 422 states it; "" for the raw body
}

// hidden is an operation whose own declarations hide part of the contract.
type hidden struct {
	Route     string
	Statuses  []status
	KeyHeader bool
}

// status is one of the author's responses and the problems it hides.
type status struct {
	Code     string // "409"
	Problems string // "`idempotency_key_in_use`"
}

type problem struct {
	Status              int
	Code, Type, Title   string
	When, Body, Applies string
}

func newData(m model.Model, own map[string][]int) data {
	d := data{
		// The base name only, as in the Go file: the page must not change
		// with the directory idemgen ran from or how the path was spelled.
		Title: m.Title, Version: m.Version, Source: filepath.Base(m.Source),
		AllRequired:  len(m.Operations) > 0,
		AllBodyKey:   len(m.Operations) > 0,
		MaxKeyLength: contract.MaxKeyLength,
		RetryAfter:   contract.RetryAfterSeconds,
		Header:       contract.HeaderKey, Replayed: contract.HeaderReplayed,
		ReplayHeader: contract.HeaderReplay, Omitted: contract.ReplayOmitted,
		DefaultBody: size(defaultBodyBytes),
	}
	index := map[policyKey]int{}         // -> index in d.Policies
	of := make([]int, len(m.Operations)) // each operation's index in d.Policies
	for j, op := range m.Operations {
		p := op.Policy
		d.AnyRequired = d.AnyRequired || p.Required
		d.AllRequired = d.AllRequired && p.Required
		d.AnyBodyKey = d.AnyBodyKey || p.Key.InBody
		d.AllBodyKey = d.AllBodyKey && p.Key.InBody
		pol := newPolicy(p)
		i, ok := index[pol.policyKey]
		if !ok {
			i = len(d.Policies)
			index[pol.policyKey] = i
			pol.N = i + 1
			d.Policies = append(d.Policies, pol)
		}
		d.Policies[i].Ops++
		of[j] = i
		r := row{Method: op.Method, Path: op.Path, Required: "no", TTL: model.FormatDuration(p.TTL)}
		if p.Required {
			r.Required = "yes"
		}
		var notes []string
		h := hidden{Route: op.Route(), KeyHeader: op.DeclaresKeyHeader}
		for _, code := range own[op.Route()] {
			h.Statuses = append(h.Statuses, status{strconv.Itoa(code), hiddenProblems(code, p)})
		}
		if h.KeyHeader || len(h.Statuses) > 0 {
			d.Hidden = append(d.Hidden, h)
			notes = append(notes, h.short())
		}
		if p.Key.InBody {
			notes = append(notes, "key in body: `"+p.Key.Pointer+"`")
		}
		if p.MaxRequestBytes > 0 && p.MaxRequestBytes != defaultBodyBytes {
			// The 413's text in the catalogue points here for the limit.
			notes = append([]string{"body ≤ " + size(p.MaxRequestBytes)}, notes...)
		}
		r.Notes = strings.Join(notes, "; ")
		d.AnyNotes = d.AnyNotes || r.Notes != ""
		d.Ops = append(d.Ops, r)
	}
	// With one policy every row would name it: the notes then carry only
	// what sets an operation apart.
	if len(d.Policies) > 1 {
		d.AnyNotes = true
		for j := range d.Ops {
			d.Ops[j].Notes = strings.TrimSuffix(fmt.Sprintf("P%d; %s", d.Policies[of[j]].N, d.Ops[j].Notes), "; ")
		}
	}
	add := func(p contract.Problem, applies string) {
		d.Problems = append(d.Problems, problem{p.Status, p.Code, p.Type(), p.Title, p.When, pretty(p.Body()), applies})
	}
	for _, inBody := range []bool{false, true} {
		missing, invalid := contract.KeyMissing, contract.KeyInvalid
		if inBody {
			missing, invalid = contract.BodyKeyMissing, contract.BodyKeyInvalid
		}
		if on, applies := keyProblemScope(m, inBody, true); on {
			add(missing, applies)
		}
		if on, applies := keyProblemScope(m, inBody, false); on {
			add(invalid, applies)
		}
	}
	for _, p := range []contract.Problem{contract.KeyInUse, contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		add(p, "")
	}
	return d
}

// keyProblemScope says whether any operation of m can get the problems of
// a key in the body (inBody) or the header, only those that require it
// when missing, and to which operations they apply: "" for all of them.
func keyProblemScope(m model.Model, inBody, missing bool) (on bool, applies string) {
	all := true
	for _, op := range m.Operations {
		p := op.Policy
		if p.Key.InBody == inBody && (p.Required || !missing) {
			on = true
		} else {
			all = false
		}
	}
	if all {
		return on, ""
	}
	var where []string
	if missing {
		where = append(where, "whose *Key required* is yes")
	}
	mixed := slices.ContainsFunc(m.Operations, func(op model.Operation) bool { return op.Policy.Key.InBody != inBody })
	switch {
	case mixed && inBody:
		where = append(where, "whose notes say *key in body*")
	case mixed:
		where = append(where, "whose notes do not say *key in body*")
	}
	return on, "the operations " + strings.Join(where, " and ")
}

func newPolicy(p model.Policy) policy {
	pol := policy{policyKey: policyKey{StoreServerErrors: p.StoreServerErrors, Transaction: p.Transaction,
		EchoKey: p.EchoKey, StripeReplayed: p.StripeReplayed,
		MaxRequest: size(defaultBodyBytes), MaxResponse: size(defaultBodyBytes)}}
	if len(p.ScopeHeaders) > 0 {
		pol.Scope = "`" + strings.Join(p.ScopeHeaders, "`, `") + "`"
	}
	if p.MaxRequestBytes > 0 {
		pol.MaxRequest = size(p.MaxRequestBytes)
	}
	if p.MaxResponseBytes > 0 {
		pol.MaxResponse = size(p.MaxResponseBytes)
	}
	if p.Wait > 0 {
		pol.Wait = model.FormatDuration(p.Wait)
	}
	if !p.Fingerprint.IsZero() {
		pol.Fingerprint = p.Fingerprint.Describe()
	}
	return pol
}

// short is the table's note for an operation with hidden parts.
func (h hidden) short() string {
	var parts []string
	if h.KeyHeader {
		parts = append(parts, "key")
	}
	for _, s := range h.Statuses {
		parts = append(parts, s.Code)
	}
	return "own " + strings.Join(parts, ", ")
}

// contractStatuses are the statuses the middleware answers with itself,
// in the order the page lists them.
var contractStatuses = []int{400, 409, 413, 422, 503}

// hiddenProblems names the problems of a status that an operation with
// policy p can meet, as code spans: what the author's response of that
// status does not describe.
func hiddenProblems(code int, p model.Policy) string {
	var codes []string
	for _, pr := range []contract.Problem{contract.KeyMissing, contract.KeyInvalid, contract.KeyInUse,
		contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		if pr.Status != code || (pr.Code == contract.KeyMissing.Code && !p.Required) || slices.Contains(codes, "`"+pr.Code+"`") {
			continue
		}
		codes = append(codes, "`"+pr.Code+"`")
	}
	return strings.Join(codes, " or ")
}

func size(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func pretty(body string) string {
	var b bytes.Buffer
	if json.Indent(&b, []byte(body), "", "  ") != nil {
		return body
	}
	return b.String()
}
