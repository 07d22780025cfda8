package augment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
)

// ErrSwagger2 is returned for a Swagger 2.0 document: its parameters,
// responses and headers live elsewhere than OpenAPI 3's components, and
// rewriting it as OpenAPI 3 would change every line. Callers skip the
// augmented spec with a warning (the Go code and the Markdown page do not
// depend on it) or convert the document to OpenAPI 3 first.
var ErrSwagger2 = errors.New("augment: Swagger 2.0 documents are not augmented; convert the document to OpenAPI 3 to publish the idempotency contract in it")

// Result is the augmented document and what could not be documented.
type Result struct {
	Spec     []byte
	Warnings []string
}

// Spec returns src with the idempotency contract added and nothing else
// changed. See the package documentation for what is added.
func Spec(src []byte, m model.Model) ([]byte, error) {
	r, err := Augment(src, m)
	if err != nil {
		return nil, err
	}
	return r.Spec, nil
}

// Augment is Spec with the warnings: operations or shared responses the
// contract could not be written into.
func Augment(src []byte, m model.Model) (*Result, error) {
	d, err := parse(src, m)
	if err != nil {
		return nil, err
	}
	a := newAugmenter(d, m)
	a.run()
	if a.p.err != nil {
		return nil, a.p.err
	}
	out, err := splice(src, d, a.p.order)
	if err != nil {
		return nil, err
	}
	if err := verify(out, m); err != nil {
		return nil, err
	}
	return &Result{Spec: out, Warnings: a.warnings}, nil
}

// verify reads the output back: it must parse, and planning on it must
// find nothing left to add. That proves every addition landed where YAML
// reads it, even in unusual flow syntax, and that a rerun is a no-op.
func verify(out []byte, m model.Model) error {
	d, err := parse(out, m)
	if err != nil {
		return fmt.Errorf("augment: the augmented document does not read back (%v); please report this with the input", err)
	}
	a := newAugmenter(d, m)
	a.run()
	if a.p.err != nil || len(a.p.order) > 0 {
		where := ""
		if len(a.p.order) > 0 {
			n := a.p.order[0].node
			where = fmt.Sprintf(" near line %d", n.Line)
		}
		return fmt.Errorf("%s: augment: could not place the additions reliably%s (unusual flow syntax?); please report this with the input", d.file, where)
	}
	return nil
}

// document is the parsed input.
type document struct {
	file string
	root *yaml.Node // the top-level mapping
	json bool
	// next maps each collection to the line of the node that follows it.
	next map[*yaml.Node]int
}

func parse(src []byte, m model.Model) (*document, error) {
	file := m.Source
	if file == "" {
		file = "spec"
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, fmt.Errorf("%s: augment: a file with more than one YAML document is not supported", file)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: augment: the document is not a mapping", file)
	}
	root := doc.Content[0]
	if value(root, "swagger") != nil {
		return nil, ErrSwagger2
	}
	if value(root, "openapi") == nil {
		return nil, fmt.Errorf("%s: augment: no openapi version field; not an OpenAPI 3 document", file)
	}
	isJSON := m.Format == "json" || (m.Format == "" && bytes.HasPrefix(bytes.TrimSpace(src), []byte("{")))
	return &document{file: file, root: root, json: isJSON}, nil
}

type augmenter struct {
	d        *document
	m        model.Model
	p        *planner
	comps    *yaml.Node // existing components, or nil
	warnings []string
	// added holds the components this run adds, by section and name.
	added map[string]map[string]any
	// problem is the chosen name of the Problem schema.
	problem string
	single  bool // one key variant only
	// shared counts, per shared response component, the references from
	// marked operations.
	shared map[string]int
}

func newAugmenter(d *document, m model.Model) *augmenter {
	a := &augmenter{
		d: d, m: m,
		p:      &planner{file: d.file, sites: map[*yaml.Node]*site{}},
		comps:  value(d.root, "components"),
		added:  map[string]map[string]any{},
		shared: map[string]int{},
	}
	a.problem, _ = a.pick("schemas", "Problem", problemSchema())
	variants := map[keyVariant]bool{}
	for _, op := range m.Operations {
		variants[keyVariant{op.Policy.Required, op.Policy.TTL}] = true
	}
	a.single = len(variants) <= 1
	return a
}

func (a *augmenter) warn(format string, args ...any) {
	a.warnings = append(a.warnings, fmt.Sprintf(format, args...))
}

func (a *augmenter) run() {
	root := cursor{node: a.d.root}
	for _, op := range a.m.Operations {
		a.operation(root, op)
	}
	a.sharedResponses(root)
}

func (a *augmenter) operation(root cursor, op model.Operation) {
	where := op.Route()
	paths := value(a.d.root, "paths")
	pk, item := lookup(paths, op.Path)
	if item == nil || item.Kind != yaml.MappingNode {
		a.warn("%s: not found in this file; its contract is not added", where)
		return
	}
	if value(item, "$ref") != nil {
		a.warn("%s: the path item is a $ref to another file; its contract is not added", where)
		return
	}
	method := strings.ToLower(op.Method)
	ok, opNode := lookup(item, method)
	if opNode == nil || opNode.Kind != yaml.MappingNode {
		a.warn("%s: not found in this file; its contract is not added", where)
		return
	}
	c := cursor{node: opNode, key: ok, path: []string{"paths", pk.Value, ok.Value}}

	if !op.DeclaresKeyHeader && !a.declaresKey(value(item, "parameters"), value(opNode, "parameters")) {
		v := keyVariant{op.Policy.Required, op.Policy.TTL}
		name := a.component(root, "parameters", variantName(v, a.single), keyParameter(v))
		a.p.appendTo(c, "parameters", ref("parameters", name))
	}

	rk, responses := lookup(opNode, "responses")
	if responses != nil && responses.Kind == yaml.MappingNode {
		rc := cursor{node: responses, key: rk, path: with(c.path, "responses")}
		for i := 0; i+1 < len(responses.Content); i += 2 {
			a.replayHeader(root, rc, responses.Content[i], responses.Content[i+1], where)
		}
	}
	for _, pr := range statuses(op.Policy) {
		code := statusKey(pr.status)
		if value(responses, code) != nil {
			continue // the author's own response for this status stays
		}
		name := a.problemResponse(root, pr)
		a.p.put(a.p.enter(c, "responses"), code, ref("responses", name))
	}
}

// declaresKey reports that a parameter list (the path item's or the
// operation's) already has an Idempotency-Key header, in any letter case.
func (a *augmenter) declaresKey(lists ...*yaml.Node) bool {
	for _, l := range lists {
		if l == nil || l.Kind != yaml.SequenceNode {
			continue
		}
		for _, p := range l.Content {
			if name, ok := localRef(p, "parameters"); ok {
				p = value(value(a.comps, "parameters"), name)
			}
			if p != nil && strings.EqualFold(scalar(p, "name"), HeaderName) && strings.EqualFold(scalar(p, "in"), "header") {
				return true
			}
		}
	}
	return false
}

// replayHeader documents Idempotency-Replayed on one response.
func (a *augmenter) replayHeader(root, rc cursor, k, resp *yaml.Node, where string) {
	if resp.Kind != yaml.MappingNode {
		return
	}
	if r := scalar(resp, "$ref"); r != "" {
		name, ok := localRef(resp, "responses")
		if !ok {
			a.warn("%s: response %s is a $ref to %s; Idempotency-Replayed is not documented on it", where, k.Value, r)
			return
		}
		if !a.ours(name) {
			a.shared[name]++
		}
		return
	}
	if hasHeader(resp) {
		return
	}
	name := a.component(root, "headers", "IdempotencyReplayed", replayedHeader())
	rc2 := cursor{node: resp, key: k, path: with(rc.path, k.Value)}
	a.p.put(a.p.enter(rc2, "headers"), ReplayedHeader, ref("headers", name))
}

func hasHeader(resp *yaml.Node) bool {
	h := value(resp, "headers")
	if h == nil || h.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(h.Content); i += 2 {
		if strings.EqualFold(h.Content[i].Value, ReplayedHeader) {
			return true
		}
	}
	return false
}

// ours reports that components.responses[name] is one of the problem
// responses this package writes, which never carry the replay header.
func (a *augmenter) ours(name string) bool {
	n := value(value(a.comps, "responses"), name)
	if n == nil {
		return false
	}
	var have any
	if n.Decode(&have) != nil {
		return false
	}
	for _, pr := range problemResponses {
		if sameValue(have, pr.value(a.problem)) {
			return true
		}
	}
	return false
}

// sharedResponses adds the replay header to a response component that
// marked operations reference, but only when nothing else references it:
// a response shared with other operations must not claim they replay.
func (a *augmenter) sharedResponses(root cursor) {
	names := make([]string, 0, len(a.shared))
	for n := range a.shared {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		total := 0
		target := "#/components/responses/" + escapePointer(name)
		walkRefs(a.d.root, func(r string) {
			if r == target {
				total++
			}
		})
		respsKey, resps := lookup(a.comps, "responses")
		ck, comp := lookup(resps, name)
		switch {
		case comp == nil || comp.Kind != yaml.MappingNode || value(comp, "$ref") != nil:
			a.warn("components.responses.%s: not a local response object; Idempotency-Replayed is not documented on it", name)
		case total != a.shared[name]:
			a.warn("components.responses.%s is also used outside idempotent operations; Idempotency-Replayed is not documented on it", name)
		case !hasHeader(comp):
			c := cursor{node: comp, key: ck, path: []string{"components", respsKey.Value, name}}
			h := a.component(root, "headers", "IdempotencyReplayed", replayedHeader())
			a.p.put(a.p.enter(c, "headers"), ReplayedHeader, ref("headers", h))
		}
	}
}

func (a *augmenter) problemResponse(root cursor, pr problemResponse) string {
	v := pr.value(a.problem)
	name, exists := a.pick("responses", pr.base, v)
	if !exists {
		a.schedule(root, "responses", name, v)
		if n, ok := a.pick("schemas", a.problem, problemSchema()); !ok && n == a.problem {
			a.schedule(root, "schemas", a.problem, problemSchema())
		}
	}
	return name
}

// component returns the name under which v is (or will be) in the
// section, adding it when needed.
func (a *augmenter) component(root cursor, section, base string, v any) string {
	name, exists := a.pick(section, base, v)
	if !exists {
		a.schedule(root, section, name, v)
	}
	return name
}

// pick finds a name for v in the section: base if free or already holding
// exactly v, else Idempotency<base>, base2, base3, ... An author's own
// component of the same name is never overwritten.
func (a *augmenter) pick(section, base string, v any) (name string, exists bool) {
	if n := value(value(a.comps, section), base); n != nil {
		// base is taken; an equal component under another name (ours from
		// an earlier run, named for a different set of variants) is reused.
		if other, ok := a.equalComponent(section, v); ok {
			return other, true
		}
	}
	cands := []string{base}
	if !strings.HasPrefix(base, "Idempotency") {
		cands = append(cands, "Idempotency"+base)
	}
	for i := 2; ; i++ {
		if i-2 < len(cands) {
			name = cands[i-2]
		} else {
			name = fmt.Sprintf("%s%d", cands[len(cands)-1], i-len(cands))
		}
		if have, ok := a.added[section][name]; ok {
			if sameValue(have, v) {
				return name, true
			}
			continue
		}
		n := value(value(a.comps, section), name)
		if n == nil {
			return name, false
		}
		var have any
		if n.Decode(&have) == nil && sameValue(have, v) {
			return name, true
		}
	}
}

// equalComponent finds a component of the section whose value equals v.
func (a *augmenter) equalComponent(section string, v any) (string, bool) {
	sec := value(a.comps, section)
	if sec == nil || sec.Kind != yaml.MappingNode {
		return "", false
	}
	for i := 0; i+1 < len(sec.Content); i += 2 {
		var have any
		if sec.Content[i+1].Decode(&have) == nil && sameValue(have, v) {
			return sec.Content[i].Value, true
		}
	}
	return "", false
}

func (a *augmenter) schedule(root cursor, section, name string, v any) {
	if a.added[section] == nil {
		a.added[section] = map[string]any{}
	}
	a.added[section][name] = v
	a.p.put(a.p.enter(a.p.enter(root, "components"), section), name, v)
}
