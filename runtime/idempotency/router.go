package idempotency

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Route is one idempotent operation of a route table: its method, its path
// template (e.g. "/payments/{id}") and its own options.
type Route struct {
	Method  string
	Pattern string
	// Operation names it in events ([WithOperation]); the generated
	// route tables give the operationId.
	Operation string
	Options   []Option
}

// router applies one [Middleware] per operation of a route table.
type router struct {
	routes []routeEntry
	bases  []template // WithBasePath's prefixes
	// The routes by method, each most specific first (the most literal
	// segments, then the most segments, then table order), so that the
	// first match at a level is the best one.
	byMethod []methodRoutes
}

type methodRoutes struct {
	method string
	routes []*routeEntry
}

type routeEntry struct {
	method string
	tmpl   template
	m      *Middleware
}

// NewRouter returns net/http middleware that applies the middleware of
// each route (as [NewRouteMiddleware] builds it, all on store) to the
// requests that route matches, in front of any router or hand-written
// handler. Requests that match no route pass through untouched. A nil
// store means [GetDefaultStore]; wrap a seed-only store with [AdaptStore].
//
// A route matches by method and path template, and it errs on the side of
// guarding: a request the application's router may send to a marked
// operation is guarded, even where that router would send it elsewhere.
// Keys stay scoped to the route's own "METHOD pattern", and a request's
// fingerprint covers its concrete path, so two paths never replay each
// other's responses. In this order, the first that finds a route wins (and
// within one, the route with the most literal segments):
//
//  1. The pattern a mux has set in r.Pattern (ServeMux:
//     "POST /v1/payments/{id}", chi: "/v1/payments/{id}") ends with the
//     template at a segment boundary, so a base-URL prefix is allowed;
//     parameters match parameters whatever their names or chi regexps.
//  2. The template matches the whole path.
//  3. The template matches the path after a prefix given by
//     [WithBasePath] ("/v1/payments" matches "/payments" under "/v1").
//  4. The template matches the end of the path after any other prefix, as
//     when the table wraps a router mounted with http.StripPrefix or chi's
//     Mount ("/api/payments" matches "/payments"). A template of
//     parameters only ("/{id}") never matches this way, since it would
//     match almost every path: give it its prefix with WithBasePath. Nor
//     is this tried when r.Pattern names a complete operation rather than
//     a mount point ("/api/", "/api/{rest...}", chi's "/api/*").
//     The price: an unmarked operation whose path ends like a marked one
//     ("/admin/payments") is guarded too, with the marked route's options
//     (a required key included) and key scope. Where that matters, apply
//     the table after routing (per route, or as oapi-codegen's
//     MiddlewareFunc), where the mux has set r.Pattern.
//
// Paths match segment by segment on r.URL.EscapedPath(), so that an
// encoded slash (%2F) stays inside its segment as ServeMux and chi route
// it, and then also on the decoded r.URL.Path (gorilla/mux's default).
// Within a segment, escapes are decoded and letter case is ignored; a
// parameter matches any segment. A trailing slash is ignored ("/payments"
// guards "/payments/", as chi's StripSlashes routes it), and so are empty,
// "." and ".." segments as path.Clean resolves them (chi's CleanPath).
// Methods are compared without regard to case.
//
// A request that another idempotency layer (a typed wrapper, another
// table) already runs under a claimed key passes through untouched.
func NewRouter(store ClaimStore, routes []Route, opts ...Option) func(http.Handler) http.Handler {
	return newRouter(store, routes, opts).handler
}

// NewKeyCheck returns net/http middleware that puts [Middleware.CheckKey]
// of each route (as [NewRouter] matches them) in front of next: a request
// to a route whose key is missing where the route requires one, or is not
// a valid key, gets the problem the route's middleware would answer, and
// every other request goes on to next. It claims nothing and needs no
// store; whatever guards the operations behind next still does.
//
// The generated NewIdempotentHandler of a net/http server built from the
// augmented spec wraps oapi-codegen's router with it, because that
// router's handlers bind the Idempotency-Key header before the typed
// wrappers see the request.
func NewKeyCheck(routes []Route, opts ...Option) func(http.Handler) http.Handler {
	rt := newRouter(keyCheckStore{}, routes, opts)
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.DefaultServeMux
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e := rt.match(r); e != nil && !e.m.CheckKey(w, r) {
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func newRouter(store ClaimStore, routes []Route, opts []Option) *router {
	if store == nil {
		store = GetDefaultStore()
	}
	rt := &router{routes: make([]routeEntry, 0, len(routes))}
	// Every route's middleware gets opts, so the router reads them once.
	var cfg config
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	for _, p := range cfg.basePaths {
		if t, ok := compileBase(p); ok {
			rt.bases = append(rt.bases, t)
		}
	}
	for _, r := range routes {
		method := routeMethod(r)
		rt.routes = append(rt.routes, routeEntry{
			method: method,
			tmpl:   compileTemplate(pathOfPattern(r.Pattern)),
			m:      NewRouteMiddleware(store, r, opts...),
		})
	}
	rt.index()
	return rt
}

// index fills byMethod. Safe methods are left out: they are never guarded.
func (rt *router) index() {
	for i := range rt.routes {
		e := &rt.routes[i]
		if safeMethod(e.method) {
			continue
		}
		j := slices.IndexFunc(rt.byMethod, func(g methodRoutes) bool { return g.method == e.method })
		if j < 0 {
			j = len(rt.byMethod)
			rt.byMethod = append(rt.byMethod, methodRoutes{method: e.method})
		}
		rt.byMethod[j].routes = append(rt.byMethod[j].routes, e)
	}
	for _, g := range rt.byMethod {
		slices.SortStableFunc(g.routes, func(a, b *routeEntry) int {
			return b.tmpl.specificity() - a.tmpl.specificity()
		})
	}
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
	if route.Operation != "" {
		all = append(all, WithOperation(route.Operation))
	}
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

// Levels of a match, in the order NewRouter tries them.
const (
	levelPattern = iota
	levelExact
	levelBase
	levelSuffix
)

// match finds the route of r, as NewRouter describes.
func (rt *router) match(r *http.Request) *routeEntry {
	routes := rt.routesOf(r.Method)
	if routes == nil {
		return nil
	}
	last := levelSuffix
	if r.Pattern != "" {
		var buf [stackSegs]string
		pp := pathOfPattern(r.Pattern)
		if e := rt.first(routes, levelPattern, trimEnd(splitSegs(buf[:0], pp)), strings.IndexByte(pp, '%') >= 0); e != nil {
			return e
		}
		if patternFinal(pp) {
			last = levelBase
		}
	}
	// The lists a router may route the path by: as sent (ServeMux, chi),
	// cleaned (chi's CleanPath), decoded (gorilla), decoded and cleaned.
	// Only the first is common; the others cost an allocation.
	var buf [stackSegs]string
	var lists [4][]string
	var esc [4]bool
	n := 0
	add := func(p string, segs []string) {
		e := strings.IndexByte(p, '%') >= 0
		lists[n], esc[n] = segs, e
		n++
		if !isClean(segs) {
			lists[n], esc[n] = cleanSegs(make([]string, 0, len(segs)), segs), e
			n++
		}
	}
	p := r.URL.Path
	if r.URL.RawPath != "" {
		p = r.URL.EscapedPath()
	}
	add(p, splitSegs(buf[:0], p))
	if p != r.URL.Path {
		add(r.URL.Path, splitSegs(nil, r.URL.Path))
	}
	for lv := levelExact; lv <= last; lv++ {
		for i, segs := range lists[:n] {
			if e := rt.first(routes, lv, segs, esc[i]); e != nil {
				return e
			}
		}
	}
	return nil
}

// routesOf returns the routes of the method, compared without regard to
// case; nil when none applies.
func (rt *router) routesOf(method string) []*routeEntry {
	for i := range rt.byMethod {
		if g := &rt.byMethod[i]; g.method == method || strings.EqualFold(g.method, method) {
			return g.routes
		}
	}
	return nil
}

// first returns the first (so the most specific) route matching segs at
// level lv.
func (rt *router) first(routes []*routeEntry, lv int, segs []string, esc bool) *routeEntry {
	for _, e := range routes {
		if rt.matches(&e.tmpl, lv, segs, esc) {
			return e
		}
	}
	return nil
}

func (rt *router) matches(t *template, lv int, segs []string, esc bool) bool {
	switch lv {
	case levelPattern:
		return t.matchPattern(segs, esc)
	case levelExact:
		return t.matchAt(segs, esc)
	case levelBase:
		for i := range rt.bases {
			if b := &rt.bases[i]; b.hasPrefix(segs, esc) && t.matchAt(segs[len(b.segs):], esc) {
				return true
			}
		}
		return false
	}
	return t.matchSuffix(segs, esc)
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

// keyCheckStore is the store of NewKeyCheck's middlewares, whose CheckKey never
// reaches a store. Were it reached, it fails every call rather than keep
// anything.
type keyCheckStore struct{}

var errNoStore = errors.New("idempotency: a key check has no store")

func (keyCheckStore) Claim(context.Context, string, string, time.Duration) (Claim, error) {
	return Claim{}, errNoStore
}
func (keyCheckStore) Complete(context.Context, string, string, *Record) error { return errNoStore }
func (keyCheckStore) Abandon(context.Context, string, string) error           { return errNoStore }
func (keyCheckStore) Renew(context.Context, string, string, time.Duration) error {
	return errNoStore
}
func (keyCheckStore) TTL() time.Duration { return DefaultTTL }
