package idempotency

import (
	"encoding/binary"
	"net/http"
	"slices"
	"strings"
)

// fpRules are the fingerprint rules of one operation (the
// WithFingerprint… options and WithCanonicalJSON). Without any, the
// fingerprint is the raw one, byte for byte as before the rules existed,
// so records stored then still match.
type fpRules struct {
	on        bool // some rule is set: fingerprintRules, not fingerprint
	json      bool // JSON bodies count by their canonical form
	canonical bool // WithCanonicalJSON's own setting
	ignore    []pointer
	only      []pointer
	headers   []string // canonical names, sorted
}

// refresh derives on and json after an option changed the rules: ignore
// and only imply canonical JSON.
func (f *fpRules) refresh() {
	f.json = f.canonical || len(f.ignore) > 0 || len(f.only) > 0
	f.on = f.json || len(f.headers) > 0
}

// pointerSet parses ps, sorted and without repeats, so that the order the
// generator or a hand writes them in does not change the fingerprint.
func pointerSet(ps []string) []pointer {
	ps = slices.Clone(ps)
	slices.Sort(ps)
	ps = slices.Compact(ps)
	out := make([]pointer, 0, len(ps))
	for _, p := range ps {
		out = append(out, parsePointer(p))
	}
	return out
}

// Tags of the body in a rule fingerprint's input.
const (
	bodyBytes = 'b' // the raw bytes
	bodyJSON  = 'j' // the canonical form
	bodyOnly  = 'o' // the values at the WithFingerprintOnly pointers
)

// fingerprintRules is fingerprint under rules. Its input starts with
// "fpr1" where the raw one has "fp1", so that no request fingerprinted
// under rules can match one fingerprinted raw (a record stored before the
// rules were turned on is a different request, 422, never a false
// replay); then method, operation, path and query as in the raw one, the
// counted headers, and the body as the rules see it.
func (st *reqState) fingerprintRules(r *http.Request, route string, f *fpRules) {
	b := appendPart(st.scratch[:0], "fpr1")
	b = appendPart(b, r.Method)
	b = appendPart(b, route)
	b = appendPart(b, r.URL.EscapedPath())
	b = appendPart(b, r.URL.RawQuery)
	b = binary.AppendUvarint(b, uint64(len(f.headers)))
	for _, name := range f.headers {
		vs := r.Header[name]
		b = appendPart(b, name)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendPart(b, v)
		}
	}
	tag, body := byte(bodyBytes), st.body
	if f.json && jsonBody(r.Header) {
		if d := st.json(); d != nil && !d.dup {
			tag, body = bodyJSON, st.canonical(d, f)
			if len(f.only) > 0 {
				tag = bodyOnly
			}
		}
	}
	b = append(b, tag)
	st.scratch = binary.AppendUvarint(b, uint64(len(body)))
	st.digest(st.enc[:digestLen], body)
}

// json is the request body parsed, once per request (the body key and the
// fingerprint share it); nil when the body is not valid JSON.
func (st *reqState) json() *jsonDoc {
	if !st.parsed {
		st.parsed = true
		st.docOK = st.doc.parse(st.body)
	}
	if !st.docOK {
		return nil
	}
	return &st.doc
}

// canonical is the body as the JSON rules see it, in st.canon: the values
// at the ignore pointers hidden, then either the whole document or, with
// only pointers, each pointer followed by 0 when nothing is there (which
// is not null) or 1 and the value.
func (st *reqState) canonical(d *jsonDoc, f *fpRules) []byte {
	for i := range f.ignore {
		if idx, found, _, _ := d.lookup(&f.ignore[i]); found {
			d.nodes[idx].hidden = true
		}
	}
	out := st.canon[:0]
	if len(f.only) == 0 {
		out = d.appendCanonical(out, 0)
	} else {
		for i := range f.only {
			p := &f.only[i]
			out = appendPart(out, p.text)
			idx, found, _, hidden := d.lookup(p)
			if !found || hidden {
				out = append(out, 0)
				continue
			}
			out = d.appendCanonical(append(out, 1), idx)
		}
	}
	st.canon = out
	return out
}

// jsonBody reports whether the JSON rules apply to a body of this
// Content-Type: application/json, any +json type (application/merge-
// patch+json, application/vnd.api+json), or none at all, which is tried
// as JSON (a body that does not parse counts as its bytes anyway).
func jsonBody(h http.Header) bool {
	mt, ok := mediaType(h)
	return !ok || mt == "application/json" || (strings.HasSuffix(mt, "+json") && strings.Contains(mt, "/"))
}

// mediaType is the request's media type, lower-cased, without parameters;
// false without a Content-Type header.
func mediaType(h http.Header) (string, bool) {
	vs := h["Content-Type"]
	if len(vs) == 0 {
		return "", false
	}
	mt, _, _ := strings.Cut(vs[0], ";")
	return strings.ToLower(strings.TrimSpace(mt)), true
}
