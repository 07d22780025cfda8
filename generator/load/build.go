package load

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/idemgen/idemgen/generator/model"

	"github.com/idemgen/idemgen/internal/contract"
)

// build reads the marked operations out of a loaded document. It only reads
// doc, so the document can be handed on afterwards (Result.Fresh).
func build(doc *openapi3.T, s *source, fs *files, mark map[string]bool) (model.Model, Errors, error) {
	m := model.Model{Source: s.path, Format: s.format}
	if doc.Info != nil {
		m.Title, m.Version = doc.Info.Title, doc.Info.Version
	}
	var c errs
	b := builder{s: s, fs: fs, c: &c, ids: map[string][]*seenID{}}
	declared := map[string]bool{}
	if doc.Paths != nil {
		paths := doc.Paths.Map()
		keys := make([]string, 0, len(paths))
		for p := range paths {
			keys = append(keys, p)
		}
		slices.Sort(keys)
		for _, p := range keys {
			item := paths[p]
			if item == nil {
				continue
			}
			b.checkPathItem(p, item)
			ops := item.Operations()
			methods := make([]string, 0, len(ops))
			for meth := range ops {
				methods = append(methods, meth)
				declared[meth] = true
			}
			slices.Sort(methods)
			for _, meth := range methods {
				if op, ok := b.operation(p, meth, item, ops[meth], mark); ok {
					m.Operations = append(m.Operations, op)
				}
			}
		}
	}
	if err := checkMarkMethods(mark, declared); err != nil {
		// A flag's mistake, before the document's.
		return model.Model{}, nil, err
	}
	b.checkIDs()
	if err := c.err(); err != nil {
		return model.Model{}, nil, err
	}
	return m, b.warnings, nil
}

type builder struct {
	s        *source
	fs       *files
	c        *errs
	ids      map[string][]*seenID
	idOrder  []string
	warnings Errors
}

type seenID struct {
	op     *openapi3.Operation
	route  string
	origin model.Origin
	marked bool
}

func (b *builder) operation(path, method string, item *openapi3.PathItem, op *openapi3.Operation, mark map[string]bool) (model.Operation, bool) {
	if op == nil || !b.checkOperation(path, method, op) {
		return model.Operation{}, false
	}
	route := method + " " + path
	raw, marked := op.Extensions[Extension]
	b.noteID(route, path, method, op, marked && raw != false || !marked && mark[method])
	if !marked {
		if !mark[method] {
			return model.Operation{}, false
		}
		return model.Operation{
			Method: method, Path: path, OperationID: op.OperationID,
			Policy: model.DefaultPolicy, Origin: b.opOrigin(path, method, op),
			DeclaresKeyHeader: declaresKeyHeader(item.Parameters) || declaresKeyHeader(op.Parameters),
		}, true
	}

	origin := b.fieldOrigin(path, method, op, Extension)
	if contract.SafeMethod(method) && raw != false {
		b.c.add(origin, fmt.Sprintf("%s: %s is a safe method; only unsafe operations (POST, PUT, PATCH, DELETE) can be marked idempotent",
			Extension, route))
		return model.Operation{}, false
	}
	policy, ok, problems := decodePolicy(raw)
	for _, p := range problems {
		b.c.add(b.problemOrigin(origin, p), p.Name()+": "+p.Msg)
	}
	if !ok {
		return model.Operation{}, false
	}
	if policy.Key.InBody && op.RequestBody == nil {
		p := fieldError{Path: []any{"key", "in"}}
		b.c.add(b.problemOrigin(origin, p), fmt.Sprintf(
			"%s: in: body, but %s declares no request body to carry the key: declare its requestBody, or leave x-idempotent.key out to take the key from the Idempotency-Key header", p.Name(), route))
		return model.Operation{}, false
	}
	return model.Operation{
		Method: method, Path: path, OperationID: op.OperationID,
		Policy: policy, Origin: origin,
		DeclaresKeyHeader: declaresKeyHeader(item.Parameters) || declaresKeyHeader(op.Parameters),
	}, true
}

// checkIDs reports operationIds used twice. It is an error where a marked
// operation is involved, since its wrapper's name would be ambiguous, and a
// warning otherwise: idemgen generates nothing for the others (svix declares
// its GET and HEAD health checks under one id). A path item $ref'd from two
// paths shares its operations, which is not a duplicate in the document.
func (b *builder) checkIDs() {
	for _, group := range b.idOrder {
		uses := b.ids[group]
		for i := 1; i < len(uses); i++ {
			first, here := uses[0], uses[i]
			// The origins kept are placed in the document as loaded, and
			// put where their author wrote them later; these are shown now.
			msgHere := fmt.Sprintf("duplicate operationId %q: %s here and %s at %s", group, here.route, first.route, b.s.shown(first.origin))
			msgFirst := fmt.Sprintf("duplicate operationId %q: %s here and %s at %s", group, first.route, here.route, b.s.shown(here.origin))
			if first.marked || here.marked {
				b.c.add(here.origin, msgHere)
				b.c.add(first.origin, msgFirst)
			} else {
				b.warnings = append(b.warnings, &Error{Origin: here.origin, Msg: msgHere})
			}
		}
	}
}

func (b *builder) noteID(route, path, method string, op *openapi3.Operation, marked bool) {
	if op.OperationID == "" {
		return
	}
	here := b.fieldOrigin(path, method, op, "operationId")
	uses := b.ids[op.OperationID]
	for _, u := range uses {
		if u.op == op || u.origin == here {
			u.marked = u.marked || marked
			return
		}
	}
	if len(uses) == 0 {
		b.idOrder = append(b.idOrder, op.OperationID)
	}
	b.ids[op.OperationID] = append(uses, &seenID{op: op, route: route, origin: here, marked: marked})
}

// opOrigin is where the operation's method key stands.
func (b *builder) opOrigin(path, method string, op *openapi3.Operation) model.Origin {
	if op.Origin != nil && op.Origin.Key != nil && op.Origin.Key.Line > 0 {
		k := op.Origin.Key
		return model.Origin{File: display(k.File), Line: k.Line, Column: k.Column}
	}
	// Swagger 2.0 and documents kin-openapi read as plain JSON carry no
	// origins: find the key in the root file.
	if k, _ := child(b.fs.tree(b.s.name), []any{"paths", path, strings.ToLower(method)}); k != nil {
		return at(b.s.path, k)
	}
	return originOf(b.s.path)
}

// fieldOrigin is where one of the operation's fields stands.
func (b *builder) fieldOrigin(path, method string, op *openapi3.Operation, field string) model.Origin {
	if op.Origin != nil {
		if l, ok := op.Origin.Fields.Lookup(field); ok && l.Line > 0 {
			return model.Origin{File: display(l.File), Line: l.Line, Column: l.Column}
		}
	}
	if k, _ := child(b.fs.tree(b.s.name), []any{"paths", path, strings.ToLower(method), field}); k != nil {
		return at(b.s.path, k)
	}
	return b.opOrigin(path, method, op)
}

// problemOrigin places a problem inside the marker's value: at the
// offending value, or at the key of an unknown field. The marker's own
// position is the fallback.
func (b *builder) problemOrigin(marker model.Origin, p fieldError) model.Origin {
	if len(p.Path) == 0 || marker.Line == 0 {
		return marker
	}
	name := b.s.name
	if marker.File != b.s.path {
		name = b.fileName(marker.File)
	}
	_, value := keyAt(b.fs.tree(name), marker.Line, marker.Column)
	k, v := child(value, p.Path)
	switch {
	case p.AtKey && k != nil:
		return at(marker.File, k)
	case v != nil:
		return at(marker.File, v)
	}
	return marker
}

// fileName maps a displayed file name back to the name files is keyed by.
func (b *builder) fileName(shown string) string {
	for _, n := range b.fs.order {
		if display(n) == shown {
			return n
		}
	}
	return shown
}

// declaresKeyHeader reports an Idempotency-Key header parameter, in any
// letter case, as Adyen and Svix declare it.
func declaresKeyHeader(ps openapi3.Parameters) bool {
	for _, ref := range ps {
		if ref == nil || ref.Value == nil {
			continue
		}
		if ref.Value.In == openapi3.ParameterInHeader && strings.EqualFold(ref.Value.Name, contract.HeaderKey) {
			return true
		}
	}
	return false
}
