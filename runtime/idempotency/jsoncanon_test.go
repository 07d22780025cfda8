package idempotency

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCanonicalJSONForms(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"b":1,"a":2}`, `{"a":2,"b":1}`},
		{" {\n\t\"b\" : 1 ,\r\n \"a\":2 } ", `{"a":2,"b":1}`},
		{`{"z":{"y":[3,{"d":1,"c":2}],"x":0},"é":true,"e":null,"":false}`, `{"":false,"e":null,"z":{"x":0,"y":[3,{"c":2,"d":1}]},"é":true}`},
		// Numbers: the exact decimal value, never a float.
		{`[1,1.0,1e0,10e-1,0.1e1,1.000E+0]`, `[1,1,1,1,1,1]`},
		{`[100,1e2,1.5,-1.5E-10,0.001,-0,0e10,-0.0]`, `[1e2,1e2,15e-1,-15e-11,1e-3,0,0,0]`},
		{`[18446744073709551617,18446744073709551616]`, `[18446744073709551617,18446744073709551616]`},
		{`[123456789012345678901234567890.5]`, `[1234567890123456789012345678905e-1]`},
		{`1e1000000000000000000000`, `1e1000000000000000000000`},
		{`1.5e-1000000000000000000000`, `15e-1000000000000000000001`},
		{`1e00000000000000000000000000000007`, `1e7`},
		// Strings: decoded, then only what must be escaped is.
		{`"\u0041\/\"\\\b\f\n\r\t\u0001\u007f\u00e9\ud83d\ude00<>&"`, "\"A/\\\"\\\\\\b\\f\\n\\r\\t\\u0001\x7fé😀<>&\""},
		{`{"\u0061":1}`, `{"a":1}`},
		{`[true,false,null,"",[],{}]`, `[true,false,null,"",[],{}]`},
	}
	for _, tt := range tests {
		got, ok := canonicalJSON([]byte(tt.in))
		if !ok || string(got) != tt.want {
			t.Errorf("canonicalJSON(%s) = %s, %v; want %s", tt.in, got, ok, tt.want)
		}
	}
}

// The nesting limit is encoding/json's: it accepts 10000 levels, and so
// does the canonicaliser; one more is refused (TestCanonicalJSONRefuses).
func TestCanonicalJSONDepth(t *testing.T) {
	deep := strings.Repeat(`[{"a":`, maxJSONDepth/2) + "1" + strings.Repeat("}]", maxJSONDepth/2)
	if err := json.Unmarshal([]byte(deep), new(any)); err != nil {
		t.Fatalf("encoding/json refuses %d levels: %v", maxJSONDepth, err)
	}
	if _, ok := canonicalJSON([]byte(deep)); !ok {
		t.Fatalf("%d levels refused", maxJSONDepth)
	}
	if err := json.Unmarshal([]byte("["+deep+"]"), new(any)); err == nil {
		t.Fatalf("encoding/json accepts %d levels", maxJSONDepth+1)
	}
}

func TestCanonicalJSONRefuses(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `{"a":1,}`, `[1,]`, `{"a"}`, `{a:1}`, `01`, `1.`, `.5`, `1e`, `+1`, `-`, `0x1`,
		`NaN`, `tru`, `nul`, `"abc`, `"a` + "\x01" + `"`, `"\x"`, `"\u12"`, `"\ud800"`, `"\udc00"`,
		`"\ud800\u0041"`, "\"\xff\"", "\"\xed\xa0\x80\"", "\xef\xbb\xbf{}", `{} {}`, `1 2`,
		`{"a":1,"a":1}`, `[{"k":1,"k":2}]`, // a repeated name: bytes, never a guess
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1),
	} {
		if got, ok := canonicalJSON([]byte(in)); ok {
			t.Errorf("canonicalJSON(%q) = %s, want refused", in, got)
		}
	}
}

// FuzzCanonicalJSON checks the canonicaliser on any input: it never
// panics; its output is canonical already; encoding/json accepts whatever
// it accepts, to the same value; and the same value written another way
// (members in reverse order, numbers spelt otherwise, strings escaped as
// encoding/json escapes them, whitespace between tokens) has the same
// canonical form.
func FuzzCanonicalJSON(f *testing.F) {
	for _, s := range []string{
		`{"b":1,"a":[1.0,2e3,-0,0.00100,"\u0041\/\n"]}`, `[]`, `{}`, `"é"`, `1e400`, `-0.0e-0`,
		`{"a":{"b":{"c":[{"d":null}]}}}`, `{"a":1,"a":2}`, `"\ud83d\ude00"`, `[1,2,{"x":"<&>"}]`,
		` { "amount" : 2000 , "currency" : "usd" } `, `123456789012345678901234567890`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, ok := canonicalJSON(in)
		if !ok {
			return
		}
		again, ok := canonicalJSON(out)
		if !ok || !bytes.Equal(again, out) {
			t.Fatalf("canonical form %s of %q canonicalises to %s, %v", out, in, again, ok)
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("canonicalised %q, which encoding/json refuses: %v", in, err)
		}
		other := rewrite(nil, v)
		got, ok := canonicalJSON(other)
		if !ok || !bytes.Equal(got, out) {
			t.Fatalf("%q and its rewrite %s: canonical %s and %s (%v)", in, other, out, got, ok)
		}
	})
}

// rewrite writes v back as JSON in another way than the canonical form.
func rewrite(b []byte, v any) []byte {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		slices.Reverse(keys)
		b = append(b, "{ "...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, " ,\n"...)
			}
			kb, _ := json.Marshal(k)
			b = append(b, kb...)
			b = append(b, "\t: "...)
			b = rewrite(b, v[k])
		}
		return append(b, " }"...)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = rewrite(b, e)
		}
		return append(b, ']')
	case json.Number:
		return append(b, respell(string(v))...)
	default:
		vb, _ := json.Marshal(v) // strings get \u003c for <, and so on
		return append(b, vb...)
	}
}

// respell writes a number literal as another literal of the same value:
// a zero digit after the mantissa and the exponent written out (with a
// leading zero when it is too long for an int64).
func respell(n string) string {
	mant, exp, hasExp := strings.Cut(strings.ToLower(n), "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	} else {
		mant += "0"
	}
	if !hasExp {
		return mant + "E+0"
	}
	if e, err := strconv.ParseInt(exp, 10, 64); err == nil {
		return mant + "e" + strconv.FormatInt(e, 10)
	}
	sign := ""
	if exp[0] == '+' || exp[0] == '-' {
		sign, exp = exp[:1], exp[1:]
	}
	return mant + "e" + sign + "0" + exp
}
