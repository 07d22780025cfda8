// Package markdown renders IDEMPOTENCY.md, the idempotency contract of a
// specification for people: which operations take an Idempotency-Key,
// what a client sends, every error it can get, and how replays look.
//
//	page, err := markdown.Render(m) // from templates/markdown.md.tmpl
//
// The problem codes, titles and example bodies are those of the runtime
// middleware (internal/contract); the output depends only on the model,
// so it is byte-for-byte stable.
package markdown

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
	"github.com/idemgen/idemgen/templates"
)

var page = template.Must(template.New("markdown.md.tmpl").Funcs(template.FuncMap{"cell": cell}).ParseFS(templates.FS, "markdown.md.tmpl"))

// cell escapes text for a Markdown table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Render returns the Markdown page for m.
func Render(m model.Model) ([]byte, error) {
	var b bytes.Buffer
	if err := page.Execute(&b, newData(m)); err != nil {
		return nil, fmt.Errorf("markdown: %w", err)
	}
	return b.Bytes(), nil
}

type data struct {
	Title, Version, Source string
	Ops                    []row
	AnyRequired            bool
	AllRequired            bool
	AnyWait                bool
	AnyStored5xx           bool
	AnyScope               bool
	MaxKeyLength           int
	RetryAfter             int
	Problems               []problem
	Header, Replayed       string
}

type row struct {
	Method, Path, OperationID, Required, TTL, Notes string
}

type problem struct {
	Status              int
	Code, Type, Title   string
	When, Body, Applies string
}

func newData(m model.Model) data {
	d := data{
		// The base name only, as in the Go file: the page must not change
		// with the directory idemgen ran from or how the path was spelled.
		Title: m.Title, Version: m.Version, Source: filepath.Base(m.Source),
		AllRequired:  len(m.Operations) > 0,
		MaxKeyLength: contract.MaxKeyLength,
		RetryAfter:   contract.RetryAfterSeconds,
		Header:       contract.HeaderKey, Replayed: contract.HeaderReplayed,
	}
	for _, op := range m.Operations {
		p := op.Policy
		d.AnyRequired = d.AnyRequired || p.Required
		d.AllRequired = d.AllRequired && p.Required
		d.AnyWait = d.AnyWait || p.Wait > 0
		d.AnyStored5xx = d.AnyStored5xx || p.StoreServerErrors
		d.AnyScope = d.AnyScope || len(p.ScopeHeaders) > 0
		r := row{Method: op.Method, Path: op.Path, OperationID: op.OperationID, Required: "no", TTL: model.FormatDuration(p.TTL), Notes: notes(p)}
		if p.Required {
			r.Required = "yes"
		}
		if r.OperationID == "" {
			r.OperationID = "–"
		}
		d.Ops = append(d.Ops, r)
	}
	add := func(p contract.Problem, applies string) {
		d.Problems = append(d.Problems, problem{p.Status, p.Code, p.Type(), p.Title, p.When, pretty(p.Body()), applies})
	}
	if d.AnyRequired {
		add(contract.KeyMissing, requiredOps(m))
	}
	for _, p := range []contract.Problem{contract.KeyInvalid, contract.KeyInUse, contract.BodyTooLarge, contract.KeyReused, contract.StoreUnavailable, contract.StoreFull} {
		add(p, "")
	}
	return d
}

func requiredOps(m model.Model) string {
	var ops []string
	for _, op := range m.Operations {
		if op.Policy.Required {
			ops = append(ops, "`"+op.Route()+"`")
		}
	}
	return strings.Join(ops, ", ")
}

// notes lists a policy's options beyond required and TTL.
func notes(p model.Policy) string {
	var n []string
	if len(p.ScopeHeaders) > 0 {
		n = append(n, "keys scoped by "+strings.Join(p.ScopeHeaders, ", "))
	}
	if p.MaxRequestBytes > 0 {
		n = append(n, "request body ≤ "+size(p.MaxRequestBytes)+" (else 413)")
	}
	if p.MaxResponseBytes > 0 {
		n = append(n, "response body stored up to "+size(p.MaxResponseBytes))
	}
	if p.StoreServerErrors {
		n = append(n, "5xx responses stored and replayed")
	}
	if p.Wait > 0 {
		n = append(n, "a concurrent retry waits up to "+model.FormatDuration(p.Wait))
	}
	return strings.Join(n, "; ")
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
