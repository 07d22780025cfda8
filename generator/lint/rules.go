package lint

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/load"
	"github.com/idemgen/idemgen/generator/model"
)

// operation is one operation of the document, with the model's view of
// it when it is marked.
type operation struct {
	l            *linter
	method, path string
	op           *openapi3.Operation
	item         *openapi3.PathItem
	marked       *model.Operation
	// declined is an explicit x-idempotent: false, the author's word that
	// repeating the operation is meant.
	declined bool
}

func (o *operation) route() string { return o.method + " " + o.path }

// pos is where the operation's method key stands.
func (o *operation) pos() model.Origin {
	if o.op.Origin != nil {
		if k := o.op.Origin.Key; k != nil && k.Line > 0 {
			return o.l.shown(k)
		}
	}
	// Swagger 2.0 documents carry no origins: find the key in the root file.
	if k := o.l.rootTree().child("paths", o.path, strings.ToLower(o.method)); k != nil {
		return o.l.res.Position(model.Origin{File: o.l.res.Model.Source, Line: k.Line, Column: k.Column})
	}
	return model.Origin{File: o.l.res.Model.Source}
}

// operations lists the document's unsafe operations by path, then method.
func (l *linter) operations() []*operation {
	marked := map[string]*model.Operation{}
	for i := range l.res.Model.Operations {
		m := &l.res.Model.Operations[i]
		marked[m.Route()] = m
	}
	var out []*operation
	if l.doc.Paths == nil {
		return nil
	}
	paths := l.doc.Paths.Map()
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item := paths[p]
		if item == nil {
			continue
		}
		ops := item.Operations()
		for _, meth := range slices.Sorted(maps.Keys(ops)) {
			op := ops[meth]
			if op == nil || safe(meth) {
				continue
			}
			o := &operation{l: l, method: meth, path: p, op: op, item: item, marked: marked[meth+" "+p]}
			o.declined = op.Extensions[load.Extension] == false
			out = append(out, o)
		}
	}
	return out
}

func safe(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE", "QUERY":
		return true
	}
	return false
}

// keyNames are idempotency key names as people write them, normalised
// (see normalise).
var keyNames = map[string]bool{
	"idempotencykey": true, "idempotencytoken": true, "idempotencyid": true,
	"requestid": true, "clientrequestid": true, "clienttoken": true,
	"dedupkey": true, "dedupekey": true, "dedupid": true, "dedupeid": true,
	"deduplicationkey": true, "deduplicationid": true, "deduplicationtoken": true,
}

// normalise lowers a name and drops everything but letters and digits, so
// that idempotency_key, idempotencyKey and Idempotency-Key compare equal.
func normalise(name string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r
		}
		return -1
	}, strings.ToLower(name))
}

// headerLooksLikeKey also takes vendor-prefixed names (PayPal-Request-Id,
// X-Idempotency-Key): a known key name after a prefix.
func headerLooksLikeKey(name string) bool {
	n := normalise(name)
	for k := range keyNames {
		if strings.HasSuffix(n, k) {
			return true
		}
	}
	return false
}

func (l *linter) bodyKeyFields(o *operation) {
	if o.op.RequestBody == nil || o.op.RequestBody.Value == nil {
		return
	}
	content := o.op.RequestBody.Value.Content
	for _, mt := range slices.Sorted(maps.Keys(content)) {
		if content[mt] == nil {
			continue
		}
		l.schemaKeyFields(o, content[mt].Schema, map[*openapi3.Schema]bool{})
	}
}

// schemaKeyFields reports the body's own properties, and those its allOf,
// oneOf and anyOf members contribute; nested objects are another matter.
func (l *linter) schemaKeyFields(o *operation, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		if !keyNames[normalise(name)] {
			continue
		}
		l.shared(l.schemaPos(s.Properties[name], o), RuleBodyKeyField, o.route(), func(routes string) string {
			return fmt.Sprintf("request body property %q of %s looks like an idempotency key, but the middleware reads the key "+
				"from the Idempotency-Key header only: a client that sends it in the body gets no deduplication; "+
				"take the key from the Idempotency-Key header and drop the property", name, routes)
		})
	}
	for _, group := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range group {
			l.schemaKeyFields(o, m, seen)
		}
	}
}

// schemaPos is where a property's key stands: its own origin, or that of
// the schema written in place. A $ref'd schema's origin is the target's.
func (l *linter) schemaPos(ref *openapi3.SchemaRef, o *operation) model.Origin {
	if ref.Origin != nil && ref.Origin.Key != nil && ref.Origin.Key.Line > 0 {
		return l.shown(ref.Origin.Key)
	}
	if ref.Ref == "" && ref.Value != nil && ref.Value.Origin != nil && ref.Value.Origin.Key != nil && ref.Value.Origin.Key.Line > 0 {
		return l.shown(ref.Value.Origin.Key)
	}
	return o.pos()
}

func (l *linter) ownKeyHeaders(o *operation) {
	for _, ps := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, ref := range ps {
			if ref == nil || ref.Value == nil {
				continue
			}
			p := ref.Value
			if p.In != openapi3.ParameterInHeader || strings.EqualFold(p.Name, "Idempotency-Key") || !headerLooksLikeKey(p.Name) {
				continue
			}
			pos := o.pos()
			if p.Origin != nil {
				if loc, ok := p.Origin.Fields.Lookup("name"); ok && loc.Line > 0 {
					pos = l.shown(&loc)
				} else if p.Origin.Key != nil && p.Origin.Key.Line > 0 {
					pos = l.shown(p.Origin.Key)
				}
			}
			name := p.Name
			l.shared(pos, RuleOwnKeyHeader, o.route(), func(routes string) string {
				return fmt.Sprintf("header parameter %s of %s looks like an idempotency key spelt otherwise: the middleware reads "+
					"Idempotency-Key only, so a key sent as %s deduplicates nothing and clients see two key headers; "+
					"rename it Idempotency-Key, or drop it for the one idemgen declares (disable this rule if it is a tracing id)", name, routes, name)
			})
		}
	}
}

func (l *linter) waitExceedsTTL(o *operation) {
	p := o.marked.Policy
	if p.Wait <= p.TTL {
		return
	}
	l.add(l.markerField(o, "wait"), RuleWaitExceedsTTL, fmt.Sprintf("x-idempotent.wait %s is longer than its ttl %s on %s: a retry would wait for "+
		"a result that is dropped before the wait is over; make wait shorter than ttl",
		model.FormatDuration(p.Wait), model.FormatDuration(p.TTL), o.route()))
}

func (l *linter) shortTTL(o *operation) {
	ttl := o.marked.Policy.TTL
	if ttl >= time.Minute {
		return
	}
	l.add(l.markerField(o, "ttl"), RuleShortTTL, fmt.Sprintf("x-idempotent.ttl %s on %s is under a minute: a client that retries after "+
		"a timeout, with backoff, usually comes back later than that and runs the operation again; keep results for hours",
		model.FormatDuration(ttl), o.route()))
}

func (l *linter) noSuccess(o *operation) {
	if o.op.Responses != nil {
		for code := range o.op.Responses.Map() {
			if strings.HasPrefix(code, "2") {
				return
			}
		}
	}
	l.add(o.marked.Origin, RuleNoSuccessResponse, fmt.Sprintf("%s is marked x-idempotent but declares no 2xx response, so the contract "+
		"documents no result to replay; declare the success response", o.route()))
}

func (l *linter) unscopedAuth(o *operation) {
	if len(o.marked.Policy.ScopeHeaders) > 0 {
		return
	}
	reqs := l.doc.Security
	if o.op.Security != nil {
		reqs = *o.op.Security
	}
	var schemes []string
	for _, r := range reqs {
		for name := range r {
			if !slices.Contains(schemes, name) {
				schemes = append(schemes, name)
			}
		}
	}
	if len(schemes) == 0 {
		return
	}
	slices.Sort(schemes)
	l.add(o.marked.Origin, RuleUnscopedAuth, fmt.Sprintf("%s requires authentication (%s) but its idempotency keys are not scoped to the "+
		"caller: one caller who reuses another's key gets the other's stored response; add scopeHeaders: [Authorization] to its "+
		"x-idempotent, or scope keys with WithScope", o.route(), strings.Join(schemes, ", ")))
}

// shared adds a finding at a place several operations may share (a
// component schema or parameter), once, naming every operation.
func (l *linter) shared(pos model.Origin, rule, route string, msg func(routes string) string) {
	for i := range l.findings {
		f := &l.findings[i]
		if f.Origin == pos && f.Rule == rule && f.routes != nil {
			if !slices.Contains(f.routes, route) {
				f.routes = append(f.routes, route)
				f.Msg = msg(strings.Join(f.routes, ", "))
			}
			return
		}
	}
	l.findings = append(l.findings, finding{Finding: Finding{Origin: pos, Rule: rule, Msg: msg(route)}, routes: []string{route}})
}
