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

// router applies one [Middleware] per operation of a route table.
type router struct {
	routes []routeEntry
}

type routeEntry struct {
	method string
	segs   []string
	m      *Middleware
}

// NewRouter returns net/http middleware that applies the middleware of
// each route (as [NewRouteMiddleware] builds it, all on store) to the
// requests that route matches, in front of any router or hand-written
// handler. Requests that match no route pass through untouched. A nil
// store means [GetDefaultStore]; wrap a seed-only store with [AdaptStore].
//
// A route matches by method and path template. When a mux has set
// r.Pattern (ServeMux: "POST /v1/payments/{id}", chi: "/v1/payments/{id}"),
// the template must end it at a segment boundary, so a base-URL prefix is
// allowed; otherwise it must match r.URL.Path segment by segment.
func NewRouter(store ClaimStore, routes []Route, opts ...Option) func(http.Handler) http.Handler {
	return newRouter(store, routes, opts).handler
}

func newRouter(store ClaimStore, routes []Route, opts []Option) *router {
	if store == nil {
		store = GetDefaultStore()
	}
	rt := &router{routes: make([]routeEntry, 0, len(routes))}
	for _, r := range routes {
		rt.routes = append(rt.routes, routeEntry{
			method: routeMethod(r),
			segs:   strings.Split(pathOfPattern(r.Pattern), "/"),
			m:      NewRouteMiddleware(store, r, opts...),
		})
	}
	return rt
}

// NewRouteMiddleware returns the middleware of one route, as [NewRouter]
// builds it: it applies to the route's method only and scopes keys to
// "METHOD pattern" ([WithMethods], [WithRoute]); the route's options come
// next, then opts, so that opts (observer, scope, …) apply to every route
// and win where they set what the route's options set.
// A nil store means [GetDefaultStore].
//
// The generated NewIdempotentServer calls it once per operation.
func NewRouteMiddleware(store ClaimStore, route Route, opts ...Option) *Middleware {
	method := routeMethod(route)
	all := make([]Option, 0, 2+len(route.Options)+len(opts))
	all = append(all, WithMethods(method), WithRoute(method+" "+route.Pattern))
	all = append(all, route.Options...)
	all = append(all, opts...)
	return New(store, all...)
}

// routeMethod is the route's method as requests carry it.
func routeMethod(r Route) string { return strings.ToUpper(strings.TrimSpace(r.Method)) }

// handler wraps next. A nil next means http.DefaultServeMux.
func (rt *router) handler(next http.Handler) http.Handler {
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

// match finds the route of r, as NewRouter describes.
func (rt *router) match(r *http.Request) *routeEntry {
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
