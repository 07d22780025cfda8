// Package lint finds what in an OpenAPI document idemgen would accept
// without a word but a reviewer of an idempotent API would question: an
// unsafe operation left unmarked, an idempotency key asked for in the body
// or under another header name, a wait longer than the key is kept, keys
// shared between the callers of an authenticated operation.
//
//	res, err := load.Load(ctx, "openapi.yaml", load.Options{})
//	if err != nil {
//		// a near-miss marker is a load error: see FromLoadError
//	}
//	findings, err := lint.Lint(ctx, res, lint.Options{Disable: []string{"own-key-header"}})
//	for _, f := range findings {
//		fmt.Println(f) // openapi.yaml:12:5: unmarked-unsafe: POST /notes is not marked x-idempotent, so …
//	}
//
// Each rule has a kebab-case name (see Rules) by which it can be disabled.
// Lint writes nothing and mutates no document; it takes its document from
// Result.Fresh, so the generator's own Fresh call after it loads anew.
package lint

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/model"
)

// Finding is one thing a rule found, at the place its author wrote it.
type Finding struct {
	Origin model.Origin
	Rule   string // a Rule's Name
	Msg    string
}

// String is "file:line:col: rule: message", the form editors and CI
// annotators read.
func (f Finding) String() string { return f.Origin.String() + ": " + f.Rule + ": " + f.Msg }

// Rule describes one check.
type Rule struct {
	Name  string // kebab-case, as -lint-disable takes it
	Short string // one line, for SARIF's shortDescription
	// Level is SARIF's: "error" for what idemgen itself refuses to
	// generate from, "warning" for the rest.
	Level string
}

// The rules' names.
const (
	RuleUnmarkedUnsafe    = "unmarked-unsafe"
	RuleNearMissMarker    = "near-miss-marker"
	RuleBodyKeyField      = "body-key-field"
	RuleOwnKeyHeader      = "own-key-header"
	RuleWaitExceedsTTL    = "wait-exceeds-ttl"
	RuleUnscopedAuth      = "unscoped-auth"
	RuleNoSuccessResponse = "no-success-response"
	RuleShortTTL          = "short-ttl"
)

// Rules lists every rule, in the order the README documents them.
var Rules = []Rule{
	{RuleUnmarkedUnsafe, "An unsafe operation is not marked x-idempotent (x-idempotent: false says it is meant so)", "warning"},
	{RuleNearMissMarker, "A key that misspells x-idempotent, or the marker on a path item, which idemgen ignores", "error"},
	{RuleBodyKeyField, "A request body property named like an idempotency key, which the middleware does not read", "warning"},
	{RuleOwnKeyHeader, "A header parameter that spells the idempotency key other than Idempotency-Key", "warning"},
	{RuleWaitExceedsTTL, "x-idempotent.wait is longer than x-idempotent.ttl", "warning"},
	{RuleUnscopedAuth, "An authenticated operation whose idempotency keys are not scoped to the caller", "warning"},
	{RuleNoSuccessResponse, "A marked operation declares no 2xx response, so nothing it answers is replayed as success", "warning"},
	{RuleShortTTL, "x-idempotent.ttl is under a minute, shorter than most clients' retry window", "warning"},
}

// Options choose what Lint checks.
type Options struct {
	// Disable names rules not to run.
	Disable []string
	// Methods are the methods whose unmarked operations unmarked-unsafe
	// reports; nil means DefaultMethods.
	Methods []string
}

// DefaultMethods are the methods unmarked-unsafe reports by default: the
// ones that are not idempotent by HTTP's definition. PUT and DELETE are, on
// paper, so an unmarked one is only reported when asked for.
var DefaultMethods = []string{"POST", "PATCH"}

// CheckOptions reports a rule name or a method that Lint would not know,
// so that a typo in a flag is an error rather than a rule left running.
func CheckOptions(opts Options) error {
	var msgs []string
	for _, n := range opts.Disable {
		if !slices.ContainsFunc(Rules, func(r Rule) bool { return r.Name == n }) {
			msgs = append(msgs, fmt.Sprintf("unknown lint rule %q; the rules are %s", n, ruleNames()))
		}
	}
	for _, m := range opts.Methods {
		switch strings.ToUpper(m) {
		case "POST", "PUT", "PATCH", "DELETE":
		default:
			msgs = append(msgs, fmt.Sprintf("cannot lint %s operations: the methods are POST, PUT, PATCH and DELETE", m))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "\n"))
	}
	return nil
}

func ruleNames() string {
	names := make([]string, len(Rules))
	for i, r := range Rules {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

// Lint runs every rule not disabled over a loaded document. It takes the
// document from res.Fresh, so a caller that needs Fresh's first, shared
// document should call Fresh before Lint.
func Lint(ctx context.Context, res *load.Result, opts Options) ([]Finding, error) {
	if err := CheckOptions(opts); err != nil {
		return nil, err
	}
	doc, err := res.Fresh(ctx)
	if err != nil {
		return nil, err
	}
	l := newLinter(res, doc)
	off := map[string]bool{}
	for _, n := range opts.Disable {
		off[n] = true
	}
	methods := opts.Methods
	if methods == nil {
		methods = DefaultMethods
	}
	lint := map[string]bool{}
	for _, m := range methods {
		lint[strings.ToUpper(m)] = true
	}
	for _, op := range l.operations() {
		if !off[RuleUnmarkedUnsafe] && op.marked == nil && !op.declined && lint[op.method] {
			l.add(op.pos(), RuleUnmarkedUnsafe, fmt.Sprintf("%s is not marked x-idempotent, so a client that retries it after a lost answer "+
				"runs it twice; mark it (x-idempotent: true, or -mark %s), or write x-idempotent: false if repeating it is meant", op.route(), op.method))
		}
		if !off[RuleBodyKeyField] {
			l.bodyKeyFields(op)
		}
		if !off[RuleOwnKeyHeader] {
			l.ownKeyHeaders(op)
		}
		if op.marked == nil {
			continue
		}
		if !off[RuleWaitExceedsTTL] {
			l.waitExceedsTTL(op)
		}
		if !off[RuleShortTTL] {
			l.shortTTL(op)
		}
		if !off[RuleNoSuccessResponse] {
			l.noSuccess(op)
		}
		if !off[RuleUnscopedAuth] {
			l.unscopedAuth(op)
		}
	}
	return l.sorted(), nil
}

// UnscopedAuth runs the unscoped-auth rule alone, for the generator to
// print as a warning. doc is a document of res the caller already holds
// (it is only read), or nil: then UnscopedAuth takes one from res.Fresh,
// and only when some marked operation does not scope its keys.
func UnscopedAuth(ctx context.Context, res *load.Result, doc *openapi3.T) ([]Finding, error) {
	if !slices.ContainsFunc(res.Model.Operations, func(o model.Operation) bool { return len(o.Policy.ScopeHeaders) == 0 }) {
		return nil, nil
	}
	if doc == nil {
		var err error
		if doc, err = res.Fresh(ctx); err != nil {
			return nil, err
		}
	}
	l := newLinter(res, doc)
	for _, op := range l.operations() {
		if op.marked != nil {
			l.unscopedAuth(op)
		}
	}
	return l.sorted(), nil
}

// FromLoadError turns the near misses of the marker among a failed load's
// diagnostics into findings. ok is false unless every diagnostic is one,
// in which case the document could not be linted further and the error
// stands as it is.
func FromLoadError(err error) (findings []Finding, ok bool) {
	var es load.Errors
	if !errors.As(err, &es) || len(es) == 0 {
		return nil, false
	}
	for _, e := range es {
		if !e.Marker {
			return nil, false
		}
		findings = append(findings, Finding{Origin: e.Origin, Rule: RuleNearMissMarker, Msg: e.Msg})
	}
	return findings, true
}

type linter struct {
	res      *load.Result
	doc      *openapi3.T
	findings []finding
	files    map[string]*fileTree
}

// finding is a Finding and, for one at a shared place, the operations
// that share it.
type finding struct {
	Finding
	routes []string
}

func newLinter(res *load.Result, doc *openapi3.T) *linter {
	return &linter{res: res, doc: doc, files: map[string]*fileTree{}}
}

func (l *linter) add(o model.Origin, rule, msg string) {
	l.findings = append(l.findings, finding{Finding: Finding{Origin: o, Rule: rule, Msg: msg}})
}

func (l *linter) sorted() []Finding {
	out := make([]Finding, len(l.findings))
	for i, f := range l.findings {
		out[i] = f.Finding
	}
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Origin.File, b.Origin.File),
			cmp.Compare(a.Origin.Line, b.Origin.Line),
			cmp.Compare(a.Origin.Column, b.Origin.Column),
			cmp.Compare(a.Rule, b.Rule),
		)
	})
	return slices.Compact(out)
}
