package load

import (
	"fmt"
	"strings"

	"github.com/idemgen/idemgen/generator/model"
	"github.com/idemgen/idemgen/runtime/idempotency"
)

// fingerprintFields are the fields of x-idempotent.fingerprint.
var fingerprintFields = []string{"canonicalJSON", "ignore", "only", "headers"}

// decodeFingerprint reads x-idempotent.fingerprint: what of a request
// counts when a retry is compared with the first request.
func decodeFingerprint(v any) (model.Fingerprint, []fieldError) {
	const field = "fingerprint"
	obj, isObj := v.(map[string]any)
	if !isObj {
		return model.Fingerprint{}, []fieldError{{Path: []any{field}, Msg: "must be an object with the fields " +
			strings.Join(fingerprintFields, ", ") + "; got " + describe(v)}}
	}
	var fp model.Fingerprint
	var problems []fieldError
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch k {
		case "canonicalJSON":
			b, isBool := v.(bool)
			if !isBool {
				problems = append(problems, fieldError{Path: []any{field, k}, Msg: "must be true or false, got " + describe(v)})
			}
			fp.CanonicalJSON = b
		case "ignore", "only":
			ps, bad := pointerList(v, field, k)
			problems = append(problems, bad...)
			if k == "ignore" {
				fp.Ignore = ps
			} else {
				fp.Only = ps
			}
		case "headers":
			hs, bad := headerList(v, field, k)
			fp.Headers = hs
			problems = append(problems, bad...)
		default:
			problems = append(problems, fieldError{Path: []any{field, k}, AtKey: true,
				Msg: "unknown field; the fields are " + strings.Join(fingerprintFields, ", ")})
		}
	}
	if len(fp.Ignore) > 0 && len(fp.Only) > 0 {
		problems = append(problems, fieldError{Path: []any{field, "only"}, AtKey: true,
			Msg: "give ignore or only, not both: only already leaves out everything it does not list"})
	}
	return fp, problems
}

// pointerList reads a list of JSON Pointers (RFC 6901).
func pointerList(v any, path ...any) ([]string, []fieldError) {
	at := func(i ...any) []any { return append(append([]any{}, path...), i...) }
	items, isList := v.([]any)
	if !isList || len(items) == 0 {
		return nil, []fieldError{{Path: at(), Msg: "must be a non-empty list of JSON Pointers such as \"/amount\", got " + describe(v)}}
	}
	var ps []string
	var problems []fieldError
	seen := map[string]bool{}
	for i, item := range items {
		s, isString := item.(string)
		switch {
		case !isString:
			problems = append(problems, fieldError{Path: at(i), Msg: "must be a JSON Pointer such as \"/amount\", got " + describe(item)})
		case s == "":
			problems = append(problems, fieldError{Path: at(i), Msg: `"" points at the whole body; a rule needs a member, such as "/amount"`})
		case idempotency.ValidPointer(s) != nil:
			problems = append(problems, fieldError{Path: at(i), Msg: pointerProblem(s)})
		case seen[s]:
			problems = append(problems, fieldError{Path: at(i), Msg: fmt.Sprintf("%q is listed twice", s)})
		default:
			seen[s] = true
			ps = append(ps, s)
		}
	}
	return ps, problems
}

// keyFields are the fields of x-idempotent.key.
var keyFields = []string{"in", "pointer"}

// decodeKey reads x-idempotent.key: where the key is carried. The header
// is the default; {in: body, pointer: /idempotency_key} takes it from a
// JSON body's member (or a form body's field of that name).
func decodeKey(v any) (model.KeySource, []fieldError) {
	const field = "key"
	obj, isObj := v.(map[string]any)
	if !isObj {
		return model.KeySource{}, []fieldError{{Path: []any{field}, Msg: "must be an object such as {in: body, pointer: /idempotency_key}; got " + describe(v)}}
	}
	var key model.KeySource
	var problems []fieldError
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		switch k {
		case "in":
			s, _ := v.(string)
			switch s {
			case "header", "body":
				key.InBody = s == "body"
			default:
				problems = append(problems, fieldError{Path: []any{field, k}, Msg: "must be header or body, got " + describe(v)})
			}
		case "pointer":
			s, isString := v.(string)
			switch {
			case !isString || s == "":
				problems = append(problems, fieldError{Path: []any{field, k}, Msg: "must be a JSON Pointer such as \"/idempotency_key\", got " + describe(v)})
			case idempotency.ValidPointer(s) != nil:
				problems = append(problems, fieldError{Path: []any{field, k}, Msg: pointerProblem(s)})
			}
			key.Pointer = s
		default:
			problems = append(problems, fieldError{Path: []any{field, k}, AtKey: true,
				Msg: "unknown field; the fields are " + strings.Join(keyFields, ", ")})
		}
	}
	switch {
	case len(problems) > 0:
	case key.InBody && key.Pointer == "":
		problems = append(problems, fieldError{Path: []any{field}, Msg: "in: body needs a pointer to the member that holds the key, such as /idempotency_key"})
	case !key.InBody && key.Pointer != "":
		problems = append(problems, fieldError{Path: []any{field, "pointer"}, AtKey: true, Msg: "a pointer only applies to in: body; the header is Idempotency-Key"})
	}
	return key, problems
}

// pointerProblem says why s is not a JSON Pointer, in the runtime's words.
func pointerProblem(s string) string {
	return fmt.Sprintf("%q is not a JSON Pointer: %s", s, strings.TrimPrefix(idempotency.ValidPointer(s).Error(), "idempotency: "))
}
