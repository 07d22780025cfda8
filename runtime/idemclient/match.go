package idemclient

import (
	"net/http"
	"net/url"
	"strings"
)

// route is a compiled Route.
type route struct {
	method string
	segs   []segment
	policy Policy
}

// segment is one segment of a path template: a literal, or a parameter
// with the literal text around it ("{id}", "{name}.json").
type segment struct {
	param          bool
	prefix, suffix string // a literal is all prefix
}

func compileRoutes(rs []Route) []*route {
	out := make([]*route, 0, len(rs))
	for _, r := range rs {
		c := &route{method: strings.ToUpper(strings.TrimSpace(r.Method)), policy: r.Policy}
		for _, s := range splitPath(r.Pattern) {
			open, end := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}')
			if open >= 0 && end > open {
				c.segs = append(c.segs, segment{param: true, prefix: s[:open], suffix: s[end+1:]})
			} else {
				c.segs = append(c.segs, segment{prefix: s})
			}
		}
		out = append(out, c)
	}
	return out
}

// match returns the route req is for, or nil. A template matches the end
// of the escaped path at a segment boundary, so that a client whose server
// URL has a base path (/v1) still matches; of several, the one with more
// segments, then more literal ones, wins.
func (t *Transport) match(req *http.Request) *route {
	if req.URL == nil {
		return nil
	}
	method := strings.ToUpper(req.Method)
	if method == "" {
		method = http.MethodGet
	}
	path := splitPath(req.URL.EscapedPath())
	var best *route
	for _, r := range t.routes {
		if r.method == method && r.matches(path) && (best == nil || r.beats(best)) {
			best = r
		}
	}
	return best
}

func (r *route) matches(path []string) bool {
	if len(r.segs) > len(path) || len(r.segs) == 0 && len(path) > 0 {
		return false // the root template ("/") is the root path only
	}
	tail := path[len(path)-len(r.segs):]
	for i, s := range r.segs {
		if !s.matches(tail[i]) {
			return false
		}
	}
	return true
}

func (r *route) beats(o *route) bool {
	if len(r.segs) != len(o.segs) {
		return len(r.segs) > len(o.segs)
	}
	return r.literals() > o.literals()
}

func (r *route) literals() int {
	n := 0
	for _, s := range r.segs {
		if !s.param {
			n++
		}
	}
	return n
}

// matches compares one escaped path segment. Literals are compared
// unescaped and ignoring case, as the server's route table does, so that
// the client errs on the side of sending a key; a parameter takes one
// non-empty segment.
func (s segment) matches(escaped string) bool {
	seg, err := url.PathUnescape(escaped)
	if err != nil {
		seg = escaped
	}
	if !s.param {
		return strings.EqualFold(seg, s.prefix)
	}
	return len(seg) > len(s.prefix)+len(s.suffix) &&
		strings.HasPrefix(strings.ToLower(seg), strings.ToLower(s.prefix)) &&
		strings.HasSuffix(strings.ToLower(seg), strings.ToLower(s.suffix))
}

// splitPath returns the segments of a path, without the empty ones of a
// leading or trailing slash.
func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
