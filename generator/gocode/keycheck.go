package gocode

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// A server whose handlers bind the Idempotency-Key header (generated from
// the augmented spec, or from a spec declaring the header) answers a
// missing or repeated key in oapi-codegen's words, before IdempotentServer
// is reached. For it the file keeps NewIdempotentServer unexported, so
// that a server mounted the usual way fails to compile, and offers the
// constructor that checks each operation's key in front of oapi-codegen's
// handler: NewIdempotentHandler (net/http, a key check in front of the
// router) or RegisterIdempotentHandlers (a framework, the check at each
// route).

// keyCheckData is one operation whose key is checked in front of
// oapi-codegen's handler.
type keyCheckData struct {
	// Route is the operation as the framework's router registers it,
	// quoted: "POST /jobs/:id/cancel" (after the base URL).
	Route string
	Field string // the IdempotentServer field holding its middleware
	Var   string // its idempotency.Route
}

// keyMethod is a router method RegisterIdempotentHandlers' router
// overrides, to put the key check in front of the routes it registers.
type keyMethod struct {
	Name  string // the router's method: POST, Post
	Const string // net/http's constant: http.MethodPost
}

// setKeyChecks fills the key checks of the wrappers whose operations bind
// the key, and the constructor's name.
func (d *fileData) setKeyChecks(binds map[string]bool, sh *shape) {
	d.Ctor, d.Entry = "NewIdempotentServer", "NewIdempotentServer"
	seen := map[string]bool{}
	var names []string
	for _, w := range d.Wrappers {
		if !binds[w.GoName] {
			continue
		}
		route := w.Method + " " + w.Path
		if sh.routePath != nil {
			route = w.Method + " " + sh.routePath(w.Path)
		}
		d.KeyChecks = append(d.KeyChecks, keyCheckData{Route: strconv.Quote(route), Field: w.Field, Var: w.Var})
		names = append(names, w.GoName)
		if sh.routeMethod != nil && !seen[w.Method] {
			seen[w.Method] = true
			d.KeyMethods = append(d.KeyMethods, keyMethod{Name: sh.routeMethod(w.Method), Const: methodConst(w.Method)})
		}
	}
	if len(d.KeyChecks) > 0 {
		d.KeyCheckDoc = comment(fmt.Sprintf("The handlers oapi-codegen generated for %s bind the Idempotency-Key header, which the document they were generated from declares: they read it before IdempotentServer sees the request, and answer a missing or repeated key in their own words. The key check answers those requests first, with the problem the runtime publishes.",
			listed(names)))
		d.Ctor, d.Entry = "newIdempotentServer", "NewIdempotentHandler"
		if sh.Router != "" {
			d.Entry = "RegisterIdempotentHandlers"
		}
		d.CtorDoc = comment("It is unexported because oapi-codegen's handlers bind the Idempotency-Key header: " +
			d.Entry + " builds the server with the key check in front of them.")
	}
	slices.SortFunc(d.KeyMethods, func(a, b keyMethod) int { return strings.Compare(a.Name, b.Name) })
}

// methodConst is net/http's constant for an HTTP method, or the method
// quoted where net/http has none.
func methodConst(m string) string {
	for _, c := range []struct{ name, value string }{
		{"MethodPost", http.MethodPost}, {"MethodPut", http.MethodPut},
		{"MethodPatch", http.MethodPatch}, {"MethodDelete", http.MethodDelete},
		{"MethodGet", http.MethodGet}, {"MethodHead", http.MethodHead},
		{"MethodOptions", http.MethodOptions}, {"MethodTrace", http.MethodTrace},
		{"MethodConnect", http.MethodConnect},
	} {
		if c.value == m {
			return "http." + c.name
		}
	}
	return strconv.Quote(m)
}

// listed joins names as "A", "A and B" or "A, B and C".
func listed(names []string) string {
	if n := len(names); n > 1 {
		return strings.Join(names[:n-1], ", ") + " and " + names[n-1]
	}
	return strings.Join(names, "")
}
