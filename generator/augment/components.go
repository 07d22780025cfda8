package augment

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v4"
)

// Components: each addition is a $ref to a component, added once and only
// where referenced, under a name that never overwrites the author's own.

// problemResponse returns the component name of a problem response,
// adding it (and the Problem schema it needs) when the document lacks it.
func (a *augmenter) problemResponse(root cursor, pr problemResponse) string {
	v := pr.value(a.problem, a.d.swagger)
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
	if n := value(a.section(section), base); n != nil {
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
		n := value(a.section(section), name)
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
	sec := a.section(section)
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
	c := root
	for _, k := range sectionKeys(a.d.swagger, section) {
		c = a.p.enter(c, k)
	}
	a.p.put(c, name, v)
}

// section returns the document's section of reusable objects of a kind
// ("parameters", "responses", "schemas", "headers": the names of OpenAPI
// 3's components sections), or nil.
func (a *augmenter) section(section string) *yaml.Node {
	if a.d.swagger {
		sec, ok := swaggerSections[section]
		if !ok {
			return nil
		}
		return value(a.d.root, sec)
	}
	return value(value(a.d.root, "components"), section)
}

// ref is a $ref to an entry of a section.
func (a *augmenter) ref(section, name string) *omap { return ref(a.d.swagger, section, name) }

// localRef returns the entry of a section that n is a $ref to.
func (a *augmenter) localRef(n *yaml.Node, section string) (string, bool) {
	return localRef(n, refPrefix(a.d.swagger, section))
}
