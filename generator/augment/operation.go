package augment

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
)

// augmenter plans the additions for one document: it walks the marked
// operations and records, per existing collection, what it gains.
type augmenter struct {
	d        *document
	m        model.Model
	p        *planner
	warnings []string
	// added holds the components this run adds, by section and name.
	added map[string]map[string]any
	// problem is the chosen name of the Problem schema.
	problem string
	single  bool // one key variant only
	// shared counts, per shared response component, the references from
	// marked operations' responses that the runtime can replay.
	shared map[string]int
	// dialect holds, per shared response component, the dialect headers
	// (dialectHeaders) that every marked operation referencing it asks
	// for, and wanted those that any of them asks for.
	dialect, wanted map[string]dialectSet
	// unreplayed counts the references from marked operations' responses
	// that are never replayed (a 5xx, a 1xx).
	unreplayed map[string]int
	// problems are the problem responses of every policy in the model, to
	// tell ours from the author's.
	problems []problemResponse
	// paths indexes the paths mapping (each path's key's position in its
	// Content), and isOurs memoizes ours: both are asked once per
	// operation, and a scan each time grows with the square of the size.
	paths  map[string]int
	isOurs map[string]bool
}

func newAugmenter(d *document, m model.Model) *augmenter {
	a := &augmenter{
		d: d, m: m,
		p:      &planner{file: d.file, sites: map[*yaml.Node]*site{}},
		added:  map[string]map[string]any{},
		shared: map[string]int{}, unreplayed: map[string]int{},
		dialect: map[string]dialectSet{}, wanted: map[string]dialectSet{},
		paths: map[string]int{}, isOurs: map[string]bool{},
	}
	if ps := value(d.root, "paths"); ps != nil && ps.Kind == yaml.MappingNode {
		for i := len(ps.Content) - 2; i >= 0; i -= 2 { // backwards: the first of a repeated key wins, as in lookup
			a.paths[ps.Content[i].Value] = i
		}
	}
	a.problem, _ = a.pick("schemas", "Problem", problemSchema())
	variants := map[keyVariant]bool{}
	seen := map[string]bool{}
	for _, op := range m.Operations {
		if !op.Policy.Key.InBody { // a body key has no parameter to name
			variants[variantOf(op.Policy)] = true
		}
		for _, pr := range problemResponses(op.Policy) {
			if !seen[pr.base] {
				seen[pr.base] = true
				a.problems = append(a.problems, pr)
			}
		}
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
	var pk, item *yaml.Node
	if i, ok := a.paths[op.Path]; ok {
		paths := value(a.d.root, "paths")
		pk, item = paths.Content[i], paths.Content[i+1]
	}
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

	declared := a.declaredKey(value(item, "parameters"), value(opNode, "parameters"))
	switch {
	case op.Policy.Key.InBody:
		// The header is not read: the key is the body's (bodykey.go).
		a.bodyKey(c, op)
	case declared != nil:
		// The author's header stays; say where it promises less than the
		// server enforces, since clients generated from it would not know.
		if op.Policy.Required && scalar(declared, "required") != "true" {
			a.warn("%s: declares its own Idempotency-Key header without required: true, but x-idempotent makes the key required (a request without it gets 400)", where)
		}
	case !op.DeclaresKeyHeader:
		v := variantOf(op.Policy)
		name := a.component(root, "parameters", variantName(v, a.single), keyParameter(v, a.d.swagger))
		a.p.appendTo(c, "parameters", a.ref("parameters", name))
	}

	rk, responses := lookup(opNode, "responses")
	if responses != nil && responses.Kind == yaml.MappingNode {
		rc := cursor{node: responses, key: rk, path: with(c.path, "responses")}
		for i := 0; i+1 < len(responses.Content); i += 2 {
			a.replayHeaders(root, rc, responses.Content[i], responses.Content[i+1], op.Policy, where)
		}
	}
	for _, pr := range problemResponses(op.Policy) {
		code := statusKey(pr.status)
		if own := value(responses, code); own != nil {
			// The author's own response for this status stays, and the
			// idempotency problems it does not describe are named.
			if name, isRef := a.localRef(own, "responses"); !isRef || !a.ours(name) {
				a.warn("%s: declares its own %s response, which stays; it does not document %s", where, code, problemCodes(pr, op.Policy))
			}
			continue
		}
		name := a.problemResponse(root, pr)
		a.p.put(a.p.enter(c, "responses"), code, a.ref("responses", name))
	}
}

// problemCodes names the problems of a response that an operation with
// policy p can meet, for a warning.
func problemCodes(pr problemResponse, p model.Policy) string {
	var codes []string
	for _, e := range pr.examples {
		if (e.Code == contract.KeyMissing.Code && !p.Required) || slices.Contains(codes, e.Code) {
			continue
		}
		codes = append(codes, e.Code)
	}
	return strings.Join(codes, " or ")
}

// declaredKey returns the Idempotency-Key header parameter that a parameter
// list (the path item's or the operation's) already has, in any letter
// case, resolved when it is a $ref to a shared parameter; nil if none.
func (a *augmenter) declaredKey(lists ...*yaml.Node) *yaml.Node {
	for _, l := range lists {
		if l == nil || l.Kind != yaml.SequenceNode {
			continue
		}
		for _, p := range l.Content {
			if name, ok := a.localRef(p, "parameters"); ok {
				p = value(a.section("parameters"), name)
			}
			if p != nil && strings.EqualFold(scalar(p, "name"), HeaderName) && strings.EqualFold(scalar(p, "in"), "header") {
				return p
			}
		}
	}
	return nil
}

// replayHeaders documents Idempotency-Replayed and Idempotency-Replay on
// one response, if the runtime can replay it: not a 1xx, nor a 5xx unless
// the policy stores them. `default` gets them, since it can stand for a
// 4xx, which is stored and replayed.
func (a *augmenter) replayHeaders(root, rc cursor, k, resp *yaml.Node, p model.Policy, where string) {
	if resp.Kind != yaml.MappingNode {
		return
	}
	if !replayable(k.Value, p) {
		if name, ok := a.localRef(resp, "responses"); ok {
			a.unreplayed[name]++
		}
		return
	}
	if r := scalar(resp, "$ref"); r != "" {
		name, ok := a.localRef(resp, "responses")
		if !ok {
			a.warn("%s: response %s is a $ref to %s; Idempotency-Replayed is not documented on it", where, k.Value, r)
			return
		}
		if !a.ours(name) {
			d := dialectOf(p)
			if a.shared[name] == 0 {
				a.dialect[name] = d
			} else {
				a.dialect[name] &= d
			}
			a.wanted[name] |= d
			a.shared[name]++
		}
		return
	}
	a.addReplayHeaders(root, cursor{node: resp, key: k, path: with(rc.path, k.Value)}, dialectOf(p))
}

// addReplayHeaders adds to the response at c the replay headers it lacks,
// and the dialect headers of d.
func (a *augmenter) addReplayHeaders(root, c cursor, d dialectSet) {
	for _, h := range replayHeaders {
		if !hasHeader(c.node, h.name) {
			a.p.put(a.p.enter(c, "headers"), h.name, a.header(root, h))
		}
	}
	for i, h := range dialectHeaders {
		if d&(1<<i) != 0 && !hasHeader(c.node, h.name) {
			a.p.put(a.p.enter(c, "headers"), h.name, a.header(root, h))
		}
	}
}

// dialectSet is a set of dialectHeaders, bit i for the i-th.
type dialectSet uint8

// dialectHeaders are the headers of Stripe's dialect, which a policy asks
// for one by one: the echoed key (echoKey) and Idempotent-Replayed
// (stripeReplayed).
var dialectHeaders = []responseHeader{
	{contract.HeaderKey, "IdempotencyKeyEcho", echoedKeyHeader},
	{contract.HeaderStripeReplayed, "IdempotentReplayed", stripeReplayedHeader},
}

func dialectOf(p model.Policy) dialectSet {
	var d dialectSet
	if p.EchoKey {
		d |= 1 << 0
	}
	if p.StripeReplayed {
		d |= 1 << 1
	}
	return d
}

// replayHeaders are the headers a replayed response may carry: every
// replay carries Idempotency-Replayed; one whose body was not stored,
// Idempotency-Replay too.
var replayHeaders = []responseHeader{
	{ReplayedHeader, "IdempotencyReplayed", replayedHeader},
	{contract.HeaderReplay, "IdempotencyReplay", replayHeader},
}

// responseHeader is a header we document on responses: its name, its
// component's preferred name, and its header object.
type responseHeader struct {
	name, component string
	value           func(swagger bool) *omap
}

// header is what a response's headers map gets for one of replayHeaders:
// a $ref to the shared header in OpenAPI 3, the header itself in Swagger
// 2.0.
func (a *augmenter) header(root cursor, h responseHeader) any {
	if a.d.swagger {
		return h.value(true)
	}
	return a.ref("headers", a.component(root, "headers", h.component, h.value(false)))
}

func hasHeader(resp *yaml.Node, name string) bool {
	h := value(resp, "headers")
	if h == nil || h.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i < len(h.Content); i += 2 {
		if strings.EqualFold(h.Content[i].Value, name) {
			return true
		}
	}
	return false
}

// ours reports that the shared response name is one of the problem
// responses this package writes, which never carry the replay header.
func (a *augmenter) ours(name string) bool {
	if v, ok := a.isOurs[name]; ok {
		return v
	}
	v := a.decideOurs(name)
	a.isOurs[name] = v
	return v
}

func (a *augmenter) decideOurs(name string) bool {
	n := value(a.section("responses"), name)
	if n == nil {
		return false
	}
	var have any
	if n.Decode(&have) != nil {
		return false
	}
	for _, pr := range a.problems {
		if sameValue(have, pr.value(a.problem, a.d.swagger)) {
			return true
		}
	}
	return false
}

// sharedResponses adds the replay headers to a response component that
// marked operations reference where it can be replayed, but only when
// nothing else references it: a response shared with other operations, or
// also used as a 5xx that is never stored, must not claim a replay.
func (a *augmenter) sharedResponses(root cursor) {
	names := make([]string, 0, len(a.shared))
	for n := range a.shared {
		names = append(names, n)
	}
	slices.Sort(names)
	keys := sectionKeys(a.d.swagger, "responses")
	where := strings.Join(keys, ".")
	for _, name := range names {
		total := 0
		target := refPrefix(a.d.swagger, "responses") + escapePointer(name)
		walkRefs(a.d.root, func(r string) {
			if r == target {
				total++
			}
		})
		resps := a.section("responses")
		ck, comp := lookup(resps, name)
		switch {
		case comp == nil || comp.Kind != yaml.MappingNode || value(comp, "$ref") != nil:
			a.warn("%s.%s: not a local response object; Idempotency-Replayed is not documented on it", where, name)
		case total == a.shared[name]+a.unreplayed[name] && a.unreplayed[name] > 0:
			a.warn("%s.%s is also used for a status the runtime never replays (1xx, or 5xx without storeServerErrors); Idempotency-Replayed is not documented on it", where, name)
		case total != a.shared[name]:
			a.warn("%s.%s is also used outside idempotent operations; Idempotency-Replayed is not documented on it", where, name)
		default:
			a.addReplayHeaders(root, cursor{node: comp, key: ck, path: with(keys, name)}, a.dialect[name])
			for i, h := range dialectHeaders {
				if missed := a.wanted[name] &^ a.dialect[name]; missed&(1<<i) != 0 {
					a.warn("%s.%s is also used by idempotent operations that do not send %s; it is not documented on it", where, name, h.name)
				}
			}
		}
	}
}
