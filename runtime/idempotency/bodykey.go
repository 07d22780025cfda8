package idempotency

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/idemgen/idemgen/internal/contract"
)

// keyNotString is a body key whose JSON value is not a string.
const keyNotString = contract.KeyNotString

// The problems of a key taken from the body (contract.BodyKeyMissing and
// contract.BodyKeyInvalid, with a detail per reason) and the Err of their
// KeyInvalid events.
var (
	probBodyKeyMissing = newProblem(contract.BodyKeyMissing)
	bodyKeyDetails     = contract.BodyKeyDetails
	probBodyKeyInvalid = bodyKeyProblems()
	bodyKeyErrs        = bodyKeyErrors()
)

func bodyKeyProblems() []problem {
	ps := make([]problem, keyNotString+1)
	for e := keyEmpty; e <= keyNotString; e++ {
		p := contract.BodyKeyInvalid
		p.Detail = bodyKeyDetails[e]
		ps[e] = newProblem(p)
	}
	return ps
}

// bodyKeyErrors are the Err of the KeyInvalid events, one per reason.
func bodyKeyErrors() []error {
	es := make([]error, keyNotString+1)
	for e := keyEmpty; e <= keyNotString; e++ {
		es[e] = errors.New("idempotency: " + bodyKeyDetails[e])
	}
	return es
}

// serveBodyKey is Serve for a middleware that takes the key from the body
// (WithKeyFromBody): the body is read first, then the key is checked as
// Serve checks the header's. The header path does not come here.
func (m *Middleware) serveBodyKey(w http.ResponseWriter, r *http.Request, next http.Handler, start time.Time) {
	st := getState()
	if err := st.readBody(r, m.cfg.maxRequestBody); err != nil {
		p, o := &probUnreadable, OutcomeBodyUnreadable
		if err == errBodyTooLarge {
			p, o = &probTooLarge, OutcomeBodyTooLarge
		}
		m.emit(r, "", start, o, p.status, err)
		p.write(w)
		putState(st)
		return
	}
	key, present, kerr := st.bodyKey(r, m.cfg.bodyKey)
	switch {
	case !present && m.cfg.keyRequired:
		m.emit(r, "", start, OutcomeKeyMissing, http.StatusBadRequest, nil)
		probBodyKeyMissing.write(w)
		putState(st)
		return
	case !present:
		m.emit(r, "", start, OutcomeNoKey, 0, nil)
		passBody(w, r, next, st)
		return
	case guarded(r.Context()):
		passBody(w, r, next, st) // an outer layer holds this key
		return
	case kerr != keyOK:
		m.emit(r, "", start, OutcomeKeyInvalid, http.StatusBadRequest, bodyKeyErrs[kerr])
		probBodyKeyInvalid[kerr].write(w)
		putState(st)
		return
	}
	m.claim(w, r, next, st, key, start)
}

// passBody runs next unguarded on w itself, with the body the middleware
// already read.
func passBody(w http.ResponseWriter, r *http.Request, next http.Handler, st *reqState) {
	r2 := new(http.Request)
	*r2 = *r
	c := call{r: r, st: st}
	c.giveBody(r2)
	next.ServeHTTP(w, r2)
	putState(st)
}

// bodyKey finds the key in the buffered body: the string at p in a JSON
// body, or the form field named by p's last token in a form body. present
// is false when the body has none; err is keyOK when the key is usable.
func (st *reqState) bodyKey(r *http.Request, p *pointer) (key string, present bool, err keyError) {
	if mt, _ := mediaType(r.Header); mt == "application/x-www-form-urlencoded" {
		name, ok := p.last()
		if !ok {
			return "", false, keyOK
		}
		return formKey(st.body, name)
	}
	if !jsonBody(r.Header) {
		return "", false, keyOK
	}
	d := st.json()
	if d == nil {
		return "", false, keyOK
	}
	idx, found, repeated, _ := d.lookup(p)
	switch {
	case !found:
		return "", false, keyOK
	case repeated:
		return "", true, keyRepeated
	case d.nodes[idx].kind != jStr:
		return "", true, keyNotString
	}
	key, err = parseKey(string(d.span(d.nodes[idx].val)))
	return key, true, err
}

// formKey is the value of the form field name in body, parsed as
// url.ParseQuery does (and so r.FormValue): pairs split at "&", a pair
// with ";" or a bad escape skipped. A field sent twice is repeated.
func formKey(body []byte, name string) (key string, present bool, err keyError) {
	var val string
	n := 0
	for rest := string(body); rest != ""; {
		var pair string
		pair, rest, _ = strings.Cut(rest, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if k != name {
			if !strings.ContainsAny(k, "%+") {
				continue
			}
			if uk, err := url.QueryUnescape(k); err != nil || uk != name {
				continue
			}
		}
		uv, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		val = uv
		n++
	}
	switch n {
	case 0:
		return "", false, keyOK
	case 1:
		key, err = parseKey(val)
		return key, true, err
	}
	return "", true, keyRepeated
}
