package augment

import (
	"mime"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/internal/contract"
)

// An operation whose policy takes the key from the request body
// (x-idempotent key: {in: body, pointer: /idempotency_key}) gets no header
// parameter: its key is a property of the request body's schema. The
// runtime reads the string at the pointer in a JSON body and the form
// field named by the pointer's last token in a form body, so those are the
// schemas documented; other media types carry no key.
//
// A property the schema already declares stays as the author wrote it (a
// warning says when it is not required but the policy requires the key).
// A missing one is added, with the operation's terms, only to a schema
// written inline in the operation: a schema reached through a $ref may be
// shared with operations that take no key, so there a warning names what
// to declare.

// bodyKey documents the body key of op, whose operation node is at c.
func (a *augmenter) bodyKey(c cursor, op model.Operation) {
	where, ptr := op.Route(), op.Policy.Key.Pointer
	tokens := pointerTokens(ptr)
	if a.d.swagger {
		a.swaggerBodyKey(c, op, tokens)
		return
	}
	rk, rb := lookup(c.node, "requestBody")
	rc, inline := cursor{node: rb, key: rk, path: with(c.path, "requestBody")}, true
	if name, ok := a.localRef(rb, "requestBodies"); ok {
		rb, inline = value(a.section("requestBodies"), name), false
	}
	ck, content := lookup(rb, "content")
	if content == nil || content.Kind != yaml.MappingNode {
		a.warn("%s: takes its idempotency key from the request body at %s, but declares no request body content; the key is not documented", where, ptr)
		return
	}
	cc := cursor{node: content, key: ck, path: with(rc.path, "content")}
	documented := false
	for i := 0; i+1 < len(content.Content); i += 2 {
		mt, media := content.Content[i], content.Content[i+1]
		path := tokens
		switch mediaKind(mt.Value) {
		case "json":
		case "form":
			path = tokens[len(tokens)-1:] // the runtime reads the field of the last token's name
		default:
			continue
		}
		documented = true
		sk, schema := lookup(media, "schema")
		sc := cursor{node: schema, key: sk, path: with(with(cc.path, mt.Value), "schema")}
		a.keyProperty(sc, inline, path, op, mt.Value)
	}
	if !documented {
		a.warn("%s: takes its idempotency key from the request body at %s, but declares neither a JSON nor a form request body, which are where the server looks for it; the key is not documented", where, ptr)
	}
}

// swaggerBodyKey is bodyKey for Swagger 2.0, where the body is a
// parameter (in: body) and a form's fields are parameters (in: formData).
func (a *augmenter) swaggerBodyKey(c cursor, op model.Operation, tokens []string) {
	where, ptr := op.Route(), op.Policy.Key.Pointer
	if l := value(c.node, "parameters"); l != nil && l.Kind == yaml.SequenceNode {
		for _, p := range l.Content {
			if name, ok := a.localRef(p, "parameters"); ok {
				p = value(a.section("parameters"), name)
			}
			switch scalar(p, "in") {
			case "body":
				sk, schema := lookup(p, "schema")
				// Checked, never added to: in Swagger 2.0 documents idemgen
				// only warns about a key the body schema does not declare.
				a.keyProperty(cursor{node: schema, key: sk}, false, tokens, op, "body parameter's")
				return
			case "formData":
				if scalar(p, "name") == tokens[len(tokens)-1] {
					a.checkRequired(op, scalar(p, "required") == "true", "its formData parameter "+tokens[len(tokens)-1])
					return
				}
			}
		}
	}
	a.warn("%s: takes its idempotency key from the request body at %s, but declares no body or formData parameter holding it; the key is not documented", where, ptr)
}

// keyProperty documents the key at path in the schema at sc: checks the
// property the schema declares, or adds it when the schema is the
// operation's own (addable: inline, and no $ref on the way).
func (a *augmenter) keyProperty(sc cursor, addable bool, path []string, op model.Operation, media string) {
	where, ptr := op.Route(), op.Policy.Key.Pointer
	why := ""
	cur := sc
	for i, tok := range path {
		node := cur.node
		if name, ok := a.localRef(node, "schemas"); ok {
			node, addable, why = value(a.section("schemas"), name), false, " (the schema is a $ref, maybe shared with other operations, so idemgen does not add it)"
		}
		if node == nil || node.Kind != yaml.MappingNode {
			a.warn("%s: the %s request body schema is not an object schema idemgen can read, so the idempotency key at %s is not documented in it", where, media, ptr)
			return
		}
		props := value(node, "properties")
		tk, prop := lookup(props, tok)
		last := i == len(path)-1
		switch {
		case prop != nil && last:
			a.checkRequired(op, requiredIn(node, tok), "the "+media+" request body schema's property "+ptr)
			return
		case prop != nil:
			cur = cursor{node: prop, key: tk, path: with(with(cur.path, "properties"), tok)}
			continue
		case !addable || !last || (props != nil && props.Kind != yaml.MappingNode):
			if addable && !last {
				why = " (idemgen adds a property only to an object that exists)"
			}
			a.warn("%s: the %s request body schema does not declare the idempotency key's property %s%s; declare it (type: string, maxLength: %d)%s",
				where, media, ptr, why, contract.MaxKeyLength, requiredNote(op.Policy.Required))
			return
		}
		a.p.put(a.p.enter(cur, "properties"), tok, bodyKeySchema(variantOf(op.Policy)))
		if op.Policy.Required {
			a.p.appendTo(cur, "required", tok)
		}
	}
}

func requiredNote(required bool) string {
	if required {
		return " and list it in required"
	}
	return ""
}

// checkRequired warns when the author's declaration of the key does not
// say it is required but the policy requires it.
func (a *augmenter) checkRequired(op model.Operation, declaredRequired bool, what string) {
	if op.Policy.Required && !declaredRequired {
		a.warn("%s: %s holds the idempotency key but is not required, while x-idempotent makes the key required (a request without it gets 400)", op.Route(), what)
	}
}

// requiredIn reports whether the object schema's required list names p.
func requiredIn(schema *yaml.Node, p string) bool {
	l := value(schema, "required")
	return l != nil && slices.ContainsFunc(l.Content, func(n *yaml.Node) bool { return n.Value == p })
}

// bodyKeySchema is the property added for a key in the body.
func bodyKeySchema(v keyVariant) *omap {
	return newMap("type", "string", "minLength", 1, "maxLength", contract.MaxKeyLength,
		"description", "The idempotency key. "+keyTerms(v))
}

// mediaKind says where the runtime looks for a body key in a media type
// (a content map's key, maybe a range or with parameters): "json",
// "form", or "" for none.
func mediaKind(mt string) string {
	t, _, err := mime.ParseMediaType(mt)
	if err != nil {
		t = strings.ToLower(strings.TrimSpace(mt))
	}
	switch {
	case t == "application/x-www-form-urlencoded":
		return "form"
	case t == "application/json" || strings.HasSuffix(t, "+json"):
		return "json"
	}
	return ""
}

// pointerTokens splits a JSON Pointer (RFC 6901; the loader validated it)
// into its unescaped tokens.
func pointerTokens(p string) []string {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return parts
}
