package load

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/idemgen/idemgen/generator/model"

	"github.com/idemgen/idemgen/internal/editdist"
)

// Extension is the name of the marker this package reads.
const Extension = "x-idempotent"

// fieldError is a problem inside an x-idempotent value. Path leads from the
// marker's value to the offending node: field names and, for list items, int
// indexes. AtKey says the key itself is wrong (an unknown field), so the
// diagnostic points at the key rather than at its value.
type fieldError struct {
	Path  []any
	AtKey bool
	Msg   string
}

// Name renders the path as it appears in diagnostics:
// x-idempotent.scopeHeaders[1].
func (f fieldError) Name() string {
	var b strings.Builder
	b.WriteString(Extension)
	for _, p := range f.Path {
		switch p := p.(type) {
		case string:
			b.WriteString("." + p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

// policyFields are the fields of the object form, in the order the README
// documents them.
var policyFields = []string{"required", "ttl", "scopeHeaders", "storeServerErrors", "maxRequestBytes", "maxResponseBytes", "wait", "transaction", "echoKey", "stripeReplayed", "fingerprint", "key"}

// decodePolicy reads an x-idempotent value as kin-openapi hands it over:
// YAML and JSON alike arrive as bool, string, float64, []any and
// map[string]any. ok reports that the operation is idempotent. All problems
// are returned, not just the first.
func decodePolicy(v any) (p model.Policy, ok bool, problems []fieldError) {
	switch v := v.(type) {
	case bool:
		if v {
			return model.DefaultPolicy, true, nil
		}
		return model.Policy{}, false, nil
	case map[string]any:
		p, problems = decodeObject(v)
		return p, len(problems) == 0, problems
	}
	return model.Policy{}, false, []fieldError{{Msg: "must be true, false or an object with the fields " +
		strings.Join(policyFields, ", ") + "; got " + describe(v)}}
}

func decodeObject(obj map[string]any) (model.Policy, []fieldError) {
	p := model.DefaultPolicy
	var problems []fieldError
	bad := func(field string, format string, args ...any) {
		problems = append(problems, fieldError{Path: []any{field}, Msg: fmt.Sprintf(format, args...)})
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := obj[k]
		switch k {
		case "required":
			b, isBool := v.(bool)
			if !isBool {
				bad(k, "must be true or false, got %s", describe(v))
			}
			p.Required = b
		case "storeServerErrors":
			b, isBool := v.(bool)
			if !isBool {
				bad(k, "must be true or false, got %s", describe(v))
			}
			p.StoreServerErrors = b
		case "transaction", "echoKey", "stripeReplayed":
			b, isBool := v.(bool)
			if !isBool {
				bad(k, "must be true or false, got %s", describe(v))
			}
			switch k {
			case "transaction":
				p.Transaction = b
			case "echoKey":
				p.EchoKey = b
			default:
				p.StripeReplayed = b
			}
		case "ttl":
			d, err := duration(v)
			switch {
			case err != nil:
				bad(k, "%s", err)
			case d <= 0:
				bad(k, "must be a positive duration, got %q", v)
			}
			p.TTL = d
		case "wait":
			d, err := duration(v)
			switch {
			case err != nil:
				bad(k, "%s", err)
			case d < 0:
				bad(k, "must not be negative, got %q", v)
			}
			p.Wait = d
		case "maxRequestBytes", "maxResponseBytes":
			n, err := positiveInt(v)
			if err != nil {
				bad(k, "%s", err)
			}
			if k == "maxRequestBytes" {
				p.MaxRequestBytes = n
			} else {
				p.MaxResponseBytes = n
			}
		case "scopeHeaders":
			hs, ps := headerList(v, k)
			p.ScopeHeaders = hs
			problems = append(problems, ps...)
		case "fingerprint":
			fp, ps := decodeFingerprint(v)
			p.Fingerprint = fp
			problems = append(problems, ps...)
		case "key":
			key, ps := decodeKey(v)
			p.Key = key
			problems = append(problems, ps...)
		default:
			msg := "unknown field"
			if near := nearest(k); near != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", near)
			}
			problems = append(problems, fieldError{Path: []any{k}, AtKey: true,
				Msg: msg + "; the fields are " + strings.Join(policyFields, ", ")})
		}
	}
	return p, problems
}

func duration(v any) (time.Duration, error) {
	s, isString := v.(string)
	if !isString {
		return 0, fmt.Errorf("must be a Go duration string such as \"48h\", got %s", describe(v))
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("must be a Go duration string such as \"48h\", got %q", s)
	}
	return d, nil
}

// positiveInt accepts the numeric forms a decoder may produce, as long as
// the number is a whole, positive int64.
func positiveInt(v any) (int64, error) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint64:
		f = float64(n)
	case json.Number:
		i, err := n.Int64()
		if err != nil || i <= 0 {
			return 0, fmt.Errorf("must be a positive whole number of bytes, got %s", n)
		}
		return i, nil
	default:
		return 0, fmt.Errorf("must be a positive whole number of bytes, got %s", describe(v))
	}
	// 2^63 itself is out of range, hence >=.
	if f <= 0 || f != math.Trunc(f) || f >= math.MaxInt64 {
		return 0, fmt.Errorf("must be a positive whole number of bytes, got %s", describe(v))
	}
	return int64(f), nil
}

// headerList reads a list of header names at path (a field, or
// fingerprint.headers).
func headerList(v any, path ...any) ([]string, []fieldError) {
	at := func(i ...any) []any { return append(slices.Clone(path), i...) }
	items, isList := v.([]any)
	if !isList {
		return nil, []fieldError{{Path: at(), Msg: "must be a list of header names, got " + describe(v)}}
	}
	var (
		names    []string
		problems []fieldError
		seen     = map[string]bool{}
	)
	for i, item := range items {
		s, isString := item.(string)
		switch {
		case !isString:
			problems = append(problems, fieldError{Path: at(i), Msg: "must be a header name, got " + describe(item)})
		case !isToken(s):
			problems = append(problems, fieldError{Path: at(i), Msg: fmt.Sprintf("%q is not a valid header name", s)})
		case seen[strings.ToLower(s)]:
			problems = append(problems, fieldError{Path: at(i), Msg: fmt.Sprintf("%q is listed twice", s)})
		default:
			seen[strings.ToLower(s)] = true
			names = append(names, s)
		}
	}
	return names, problems
}

// isToken reports whether s is an RFC 9110 token, the syntax of a field name.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// describe names a decoded value's kind and shows it, for messages such as
// `got number 86400`.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean %t", v)
	case string:
		return fmt.Sprintf("string %q", v)
	case float64:
		return "number " + formatNumber(v)
	case int, int64, uint64, json.Number:
		return fmt.Sprintf("number %v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func formatNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return fmt.Sprintf("%d", int64(f))
	}
	return fmt.Sprintf("%g", f)
}

// nearest returns the known field a misspelt name most likely meant: the
// same name in another letter case, or one at most two edits away.
func nearest(name string) string {
	best, bestDist := "", 3
	for _, f := range policyFields {
		if strings.EqualFold(f, name) {
			return f
		}
		if d := editdist.Distance(strings.ToLower(name), strings.ToLower(f)); d < bestDist {
			best, bestDist = f, d
		}
	}
	return best
}
