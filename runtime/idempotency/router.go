package idempotency

import (
	"net/http"
	"strings"
)

// Route is one idempotent operation of a route table: its method, its path
// template (e.g. "/payments/{id}") and its own options.
type Route struct {
	Method  string
	Pattern string
	Options []Option
}

// Router applies one [Middleware] per operation of a route table, in front
// of any router or hand-written handler. Requests that match no route pass
// through untouched.
type Router struct {
	routes []routeEntry
}

type routeEntry struct {
	method string
	segs   []string
	m      *Middleware
}

// NewRouter builds a Router over store. Each route's middleware applies to
// its method only and scopes keys to "METHOD pattern"; its options come
// first, then opts, so opts (observer, scope, …) apply to every route.
func NewRouter(store Store, routes []Route, opts ...Option) *Router {
	if store == nil {
		store = GetDefaultStore()
	}
	cs, seed := claimStoreOf(store) // one adapter shared by all routes
	rt := &Router{}
	for _, r := range routes {
		method := strings.ToUpper(strings.TrimSpace(r.Method))
		all := make([]Option, 0, 2+len(r.Options)+len(opts))
		all = append(all, WithMethods(method), WithRoute(method+" "+r.Pattern))
		all = append(all, r.Options...)
		all = append(all, opts...)
		rt.routes = append(rt.routes, routeEntry{
			method: method,
			segs:   strings.Split(pathOfPattern(r.Pattern), "/"),
			m:      newMiddleware(cs, seed, all),
		})
	}
	return rt
}

// Handler wraps next; it fits func(http.Handler) http.Handler.
func (rt *Router) Handler(next http.Handler) http.Handler {
	if next == nil {
		next = http.DefaultServeMux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e := rt.match(r); e != nil {
			e.m.Serve(w, r, next)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// match finds the route of r. When a mux has set r.Pattern (ServeMux:
// "POST /v1/payments/{id}", chi: "/v1/payments/{id}") the route's template
// must end it at a segment boundary, so a base-URL prefix is allowed.
// Otherwise the template must match r.URL.Path segment by segment.
func (rt *Router) match(r *http.Request) *routeEntry {
	var segs []string
	fromPattern := r.Pattern != ""
	if fromPattern {
		segs = strings.Split(pathOfPattern(r.Pattern), "/")
	} else {
		segs = strings.Split(r.URL.Path, "/")
	}
	for i := range rt.routes {
		e := &rt.routes[i]
		if e.method != r.Method {
			continue
		}
		if fromPattern && matchPatternSuffix(e.segs, segs) {
			return e
		}
		if !fromPattern && matchPath(e.segs, segs) {
			return e
		}
	}
	return nil
}

// pathOfPattern drops a ServeMux pattern's method and host.
func pathOfPattern(p string) string {
	p = strings.TrimSpace(p)
	if i := strings.IndexAny(p, " \t"); i >= 0 && !strings.Contains(p[:i], "/") {
		p = strings.TrimSpace(p[i+1:])
	}
	if i := strings.IndexByte(p, '/'); i > 0 {
		p = p[i:]
	}
	return p
}

func isParam(s string) bool {
	return len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}'
}

// matchPatternSuffix compares templates: any parameter matches any
// parameter, whatever its name or chi regexp.
func matchPatternSuffix(route, pat []string) bool {
	if len(pat) < len(route) {
		return false
	}
	off := len(pat) - len(route)
	if off > 0 && route[0] != "" {
		return false
	}
	for i, s := range route {
		if i == 0 && off > 0 {
			continue // the route's leading "" meets the prefix's last segment
		}
		p := pat[off+i]
		if isParam(s) && isParam(p) {
			continue
		}
		if s != p {
			return false
		}
	}
	return true
}

// matchPath matches a template against a concrete path: {name} matches one
// non-empty segment, {name...} the rest, {$} only the end.
func matchPath(route, path []string) bool {
	for i, s := range route {
		if isParam(s) {
			switch {
			case s == "{$}":
				return i == len(path)-1 && path[i] == ""
			case strings.HasSuffix(s, "...}"):
				return i < len(path)
			}
			if i >= len(path) || path[i] == "" {
				return false
			}
			continue
		}
		if i >= len(path) || path[i] != s {
			return false
		}
	}
	return len(path) == len(route)
}
